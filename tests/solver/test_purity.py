"""The engine is pure: importing it loads no web, database or app module."""
import subprocess
import sys
from pathlib import Path


def test_import_loads_no_web_or_database_module():
    code = ("import sys, solver; bad = [m for m in sys.modules if m.split('.')[0] in "
            "('flask', 'sqlalchemy', 'marshmallow', 'safehome')]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
