"""Distances and areas, decided exactly as the contract (docs/engine-contract.md) defines them, at numpy speed.

Distance rule: a unit is far enough from a place when the WGS84 geodesic, as
`geopy.distance.geodesic` computes it, is >= km. Deciding every pair with geopy
would be slow (tens of microseconds each), so pairs go through three tiers:

1. the great circle on a sphere of radius 6371.0088 km (vectorised, compared as
   squared chords between unit vectors, so no trigonometry per pair): the sphere is
   within 0.6% of the ellipsoid for any pair, so outside a 1% band around km
   its answer is the geodesic's answer;
2. Vincenty's inverse formula on the WGS84 ellipsoid (vectorised) for the pairs
   inside the band: it agrees with the geodesic to well under a millimetre, so
   outside a 1 cm band its answer is final;
3. geopy's geodesic itself for the few pairs still undecided (within 1 cm of
   km, or where Vincenty does not converge, near antipodes).
"""
from __future__ import annotations

import numpy as np
import shapely
from geopy.distance import geodesic

EARTH_KM = 6371.0088
SPHERE_MARGIN = 0.01
VINCENTY_MARGIN_KM = 1e-5  # 1 cm
WGS84_A = 6378.137
WGS84_F = 1 / 298.257223563
WGS84_B = WGS84_A * (1 - WGS84_F)


class Points:
    """Points as arrays of degrees plus unit vectors on the sphere, indexable like numpy arrays.

    Squared chords between unit vectors need no trigonometry per pair, and are exact
    enough for tiny distances where 1 - cos would cancel.
    """

    def __init__(self, lat, lon, xyz=None):
        self.lat = np.asarray(lat, dtype=float)
        self.lon = np.asarray(lon, dtype=float)
        if xyz is None:
            phi, lam = np.radians(self.lat), np.radians(self.lon)
            xyz = (np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi))
        self.xyz = xyz

    def __getitem__(self, key) -> Points:
        return Points(self.lat[key], self.lon[key], tuple(c[key] for c in self.xyz))

    def chord2(self, other: Points) -> np.ndarray:
        """Squared chord on the unit sphere to `other` (broadcasting)."""
        return sum((a - b) ** 2 for a, b in zip(self.xyz, other.xyz))


def chord2_of_km(km: float) -> float:
    """The squared chord of a great-circle distance; 4 (antipodes) and beyond for km past half the globe."""
    theta = km / EARTH_KM
    return float((2 * np.sin(theta / 2)) ** 2) if theta < np.pi else np.inf


def sphere_km(chord2) -> np.ndarray:
    """Great-circle km (sphere of radius 6371.0088 km, as haversine) from squared chords."""
    return 2 * EARTH_KM * np.arcsin(np.minimum(np.sqrt(chord2) / 2, 1.0))


def vincenty_km(lat1, lon1, lat2, lon2, iterations: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Vincenty's inverse on WGS84 for 1-d arrays in degrees: (km, converged)."""
    lat1, lon1, lat2, lon2 = (np.asarray(x, dtype=float) for x in (lat1, lon1, lat2, lon2))
    f = WGS84_F
    big_l = np.radians(lon2 - lon1)
    u1 = np.arctan((1 - f) * np.tan(np.radians(lat1)))
    u2 = np.arctan((1 - f) * np.tan(np.radians(lat2)))
    su1, cu1, su2, cu2 = np.sin(u1), np.cos(u1), np.sin(u2), np.cos(u2)
    lam = big_l.copy()
    converged = np.zeros(lam.shape, dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        for _ in range(iterations):
            sl, cl = np.sin(lam), np.cos(lam)
            s_sig = np.hypot(cu2 * sl, cu1 * su2 - su1 * cu2 * cl)
            c_sig = su1 * su2 + cu1 * cu2 * cl
            sig = np.arctan2(s_sig, c_sig)
            s_alpha = np.where(s_sig == 0, 0.0, cu1 * cu2 * sl / s_sig)
            c2_alpha = 1 - s_alpha ** 2
            c2sm = np.where(c2_alpha == 0, 0.0, c_sig - 2 * su1 * su2 / c2_alpha)
            c = f / 16 * c2_alpha * (4 + f * (4 - 3 * c2_alpha))
            new = big_l + (1 - c) * f * s_alpha * (sig + c * s_sig * (c2sm + c * c_sig * (-1 + 2 * c2sm ** 2)))
            converged = np.abs(new - lam) < 1e-12
            lam = new
            if converged.all():
                break
        u_sq = c2_alpha * (WGS84_A ** 2 - WGS84_B ** 2) / WGS84_B ** 2
        a_ = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
        b_ = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
        d_sig = b_ * s_sig * (c2sm + b_ / 4 * (c_sig * (-1 + 2 * c2sm ** 2)
                                              - b_ / 6 * c2sm * (-3 + 4 * s_sig ** 2) * (-3 + 4 * c2sm ** 2)))
        km = WGS84_B * a_ * (sig - d_sig)
    return km, converged & np.isfinite(km)


def geodesic_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The exact rule distance: geopy's WGS84 geodesic, first point first."""
    return geodesic((float(lat1), float(lon1)), (float(lat2), float(lon2))).km


def far_enough(p1: Points, p2: Points, km: float) -> tuple[np.ndarray, np.ndarray]:
    """(ok, squared chord) for pairs of points (broadcasting): geodesic(p1, p2) >= km exactly."""
    chord2 = p1.chord2(p2)
    shape = chord2.shape
    chord2 = np.broadcast_to(chord2, shape).ravel()
    ok = chord2 >= chord2_of_km(km * (1 + SPHERE_MARGIN))
    band = np.flatnonzero((chord2 > chord2_of_km(km * (1 - SPHERE_MARGIN))) & ~ok)
    if band.size:
        lat1, lon1, lat2, lon2 = (np.broadcast_to(a, shape).ravel()[band] for a in (p1.lat, p1.lon, p2.lat, p2.lon))
        ok[band] = _ellipsoid_far_enough(lat1, lon1, lat2, lon2, np.full(band.size, float(km)))
    return ok.reshape(shape), chord2.reshape(shape)


def far_enough_rows(p1: Points, p2: Points, km: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """Matrix (len p2 x len p1): geodesic(p1[j], p2[i]) >= km[i] exactly, decided where `relevant`.

    The same three tiers as `far_enough`, over many places at once; pairs not `relevant`
    (already ruled out by another rule) skip the ellipsoid tiers and are left undecided (False
    or True as the sphere suggests), since nobody reads them.
    """
    km = np.asarray(km, dtype=float)
    chord2 = sum((a[None, :] - b[:, None]) ** 2 for a, b in zip(p1.xyz, p2.xyz))
    hi = np.array([chord2_of_km(k * (1 + SPHERE_MARGIN)) for k in km])
    lo = np.array([chord2_of_km(k * (1 - SPHERE_MARGIN)) for k in km])
    ok = chord2 >= hi[:, None]
    rows, cols = np.nonzero((chord2 > lo[:, None]) & ~ok & relevant)
    if rows.size:
        ok[rows, cols] = _ellipsoid_far_enough(p1.lat[cols], p1.lon[cols], p2.lat[rows], p2.lon[rows], km[rows])
    return ok


def _ellipsoid_far_enough(lat1, lon1, lat2, lon2, km) -> np.ndarray:
    """Tiers 2 and 3 for pairs the sphere left undecided (1-d arrays): geodesic >= km exactly."""
    v, converged = vincenty_km(lat1, lon1, lat2, lon2)
    sure = converged & (np.abs(v - km) > VINCENTY_MARGIN_KM + 1e-9 * km)
    ok = v >= km
    for k in np.flatnonzero(~sure):
        ok[k] = geodesic_km(lat1[k], lon1[k], lat2[k], lon2[k]) >= km[k]
    return ok


def inside(area_shape, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Points inside or on the edge of a prepared shapely geometry (bounding box first)."""
    x0, y0, x1, y1 = area_shape.bounds
    hit = np.zeros(lons.shape, dtype=bool)
    box = np.flatnonzero((lons >= x0) & (lons <= x1) & (lats >= y0) & (lats <= y1))
    if box.size:
        hit[box] = shapely.intersects_xy(area_shape, lons[box], lats[box])
    return hit


def same_site_or_near(sites_a: np.ndarray, points_a: Points, sites_b: np.ndarray, points_b: Points,
                      km: float) -> np.ndarray:
    """Matrix (len a x len b): units that cannot hold both ends of an apart entry.

    Distances are taken from b's unit to a's unit, the order the independent checker uses.
    """
    clash = sites_a[:, None] == sites_b[None, :]
    if km > 0:
        ok, _ = far_enough(points_b[None, :], points_a[:, None], km)
        clash |= ~ok
    return clash
