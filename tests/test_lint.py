"""`make lint` guards the plan: here a service that imports its app's tasks (the circle the layers forbid)
makes the import contracts fail, while the shop as it is keeps them."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["chefshop", "catalog", "slots", "orders", "deliveries", "payments"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_of_the_shop(target: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("module", "line"),
    [
        # the circle the orders app had, hidden in a function
        ("orders/services.py", "\n\ndef _later():\n    from orders import tasks  # noqa: F401\n"),
        # a slot service scheduling its own close task directly
        ("slots/services.py", "\nfrom slots import tasks  # noqa: E402,F401\n"),
        # the orders app reaching up into deliveries
        ("orders/selectors.py", "\nfrom deliveries.models import Delivery  # noqa: E402,F401\n"),
        # the live layer learning about an app
        ("chefshop/live/hub.py", "\nfrom orders.models import Order  # noqa: E402,F401\n"),
        # the orders app learning about payments (payments sits above it, listening to its signals)
        ("orders/services.py", "\nfrom payments import services as payment_services  # noqa: E402,F401\n"),
    ],
)
def test_a_crossed_layer_fails_lint(tmp_path, module, line):
    shop = _copy_of_the_shop(tmp_path)
    kept = _lint_imports(shop)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    with open(shop / module, "a") as source:
        source.write(line)
    broken = _lint_imports(shop)
    assert broken.returncode != 0
    assert "BROKEN" in broken.stdout
