"""Test-wide settings: the test instance (.govlake/test, ports +10000) unless the caller chose one."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("GOVLAKE_INSTANCE", str(ROOT / ".govlake" / "test"))
os.environ.setdefault("GOVLAKE_PORT_OFFSET", "10000")
os.environ.setdefault("GOVLAKE_SPARK_DRIVER_MEMORY", "2g")
