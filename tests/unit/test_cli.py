"""Command-line argument checks that need no platform."""
import pytest

from govlake import cli


@pytest.mark.parametrize("value", ["0", "-3", "seven"])
def test_maintain_refuses_an_interval_below_one(value, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["lake", "maintain", "--every", value])
    assert e.value.code == 2
    assert "须为正整数" in capsys.readouterr().err
