"""``python -m cbred.tfstats.runner [--config-name proxy|repeats|nb101|full] [key=value ...]``.

A thin Hydra entry point around :func:`cbred.tfstats.runner.command.run`; configurations in
``configs/tfstats_runner/`` (default ``proxy.yaml``).
"""

from __future__ import annotations

import hydra

from cbred.cli import run_cli
from cbred.paths import PROJECT_ROOT, register_config_resolvers
from cbred.tfstats.runner.command import run

CONFIG_DIR = PROJECT_ROOT / "configs" / "tfstats_runner"


def _main(cfg) -> None:
    metrics = run_cli(run, cfg, output_key=None)  # the table is written at the end, atomically
    if metrics:
        print(
            f"{metrics['n_archs']:,} architectures in {metrics['seconds']:.0f} s; "
            f"failures per statistic: {metrics['failed']}; table: {metrics['output']}"
        )


# Hydra names the application after the task function's module: "runner" (as in --help), not
# "__main__"; a module-named task needs an absolute config path.
_main.__module__ = "cbred.tfstats.runner"
main = hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="proxy")(_main)


if __name__ == "__main__":
    register_config_resolvers()
    main()
