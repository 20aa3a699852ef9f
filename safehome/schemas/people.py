"""Schemas for users, tokens and the audit log."""
from marshmallow import Schema, fields, validate

from safehome.codes import AuditAction, Role
from safehome.schemas import InputSchema, QuerySchema


class UserOut(Schema):
    id = fields.Int(required=True)
    email = fields.Str(required=True)
    name = fields.Str(required=True)
    role = fields.Function(lambda u: u.role.value, required=True)
    provider_id = fields.Int(allow_none=True)
    active = fields.Bool(required=True)


class UserIn(InputSchema):
    email = fields.Str(required=True, validate=validate.Length(max=254))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    role = fields.Str(required=True, validate=validate.OneOf(Role.codes()))
    password = fields.Str(required=True, load_only=True, validate=validate.Length(max=1024))
    provider_id = fields.Int(load_default=None, allow_none=True, strict=True)


class TokenIn(InputSchema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=80))
    # Absent: 90 days (or the maximum if lower); null is refused: every token expires. The maximum,
    # SAFEHOME_TOKEN_MAX_DAYS, is a setting, so the service checks it.
    expires_in_days = fields.Int(strict=True, validate=validate.Range(min=1), metadata={
        "description": "Days until the token expires, from 1 to the maximum (SAFEHOME_TOKEN_MAX_DAYS, 365 unless "
                       "set otherwise). Absent: 90 days, or the maximum if that is lower."})


class TokenOut(Schema):
    id = fields.Int(required=True)
    name = fields.Str(required=True)
    prefix = fields.Str(required=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    last_used_at = fields.DateTime(allow_none=True)
    revoked = fields.Function(lambda t: t.revoked_at is not None, required=True)


class NewTokenOut(TokenOut):
    token = fields.Str(required=True, metadata={"description": "Shown once; only its hash is kept."})


class AuditQuery(QuerySchema):
    user_id = fields.Int(validate=validate.Range(min=1, max=2**31 - 1))
    record_type = fields.Str(validate=validate.Length(max=40))
    record_id = fields.Int(validate=validate.Range(min=1, max=2**31 - 1))
    action = fields.Str(validate=validate.OneOf(AuditAction.codes()))
    day_from = fields.Date()
    day_to = fields.Date()
    limit = fields.Int(load_default=200, validate=validate.Range(1, 1000))
    offset = fields.Int(load_default=0, validate=validate.Range(0, 10**9))


class AuditEventOut(Schema):
    id = fields.Int(required=True)
    at = fields.DateTime(required=True)
    user_id = fields.Int(allow_none=True)
    action = fields.Function(lambda e: e.action.value, required=True)
    record_type = fields.Str(allow_none=True)
    record_id = fields.Int(allow_none=True)
    remote_addr = fields.Str(allow_none=True)
    detail = fields.Str(allow_none=True)
