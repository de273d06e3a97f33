"""Settings for the benchmark's web processes: ChefShop's own, plus one trivial page to compare with."""

from chefshop.settings import *  # noqa: F403
from chefshop.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.urls"
TEMPLATES = [{**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]}]
