"""Build hook: the toolkit's reference data (``data/``) and bundled scenarios (``scenarios/``)
ship inside the installed package as ``forecast/_bundled/``, so that an installed toolkit finds
its rates, prices and published estimates, and a variant may extend a bundled scenario, from
any folder (:func:`forecast.readpolicy.toolkit_home`). An editable install reads the checkout.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

_TOP = Path(__file__).resolve().parent
_SHIPPED = {".csv", ".toml", ".md"}


class BuildWithBundledFiles(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        dest = Path(self.build_lib) / "forecast" / "_bundled"
        for name in ("data", "scenarios"):
            for f in sorted((_TOP / name).rglob("*")):
                if f.is_file() and f.suffix in _SHIPPED:
                    target = dest / name / f.relative_to(_TOP / name)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(f, target)


setup(cmdclass={"build_py": BuildWithBundledFiles})
