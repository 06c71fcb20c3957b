"""Where the Rasa venv, the Rasa project and the NLU artefacts live, and how to run that venv's programs.

Shared by training, serving, the router trainer and evaluation, so none of them imports another for a
path. Environment overrides: GRIDSEC_RASA_VENV (default ./.venv-rasa), GRIDSEC_NLU_HOME (default
./var/nlu: models/, router/, logs/), GRIDSEC_ROUTER_HISTORY (default ../shared/data/tipdm2020/
train_segmented.csv, used to train a router when none exists yet). Standard library only.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "nlu" / "rasa"
COMPONENTS = ROOT / "nlu" / "components"
REQUIREMENTS = ROOT / "nlu" / "rasa-requirements.txt"
RASA_VENV = Path(os.environ.get("GRIDSEC_RASA_VENV", ROOT / ".venv-rasa"))
NLU_HOME = Path(os.environ.get("GRIDSEC_NLU_HOME", ROOT / "var" / "nlu"))
MODELS_DIR = NLU_HOME / "models"
ROUTER_PATH = NLU_HOME / "router" / "router.pkl"
LOG_DIR = NLU_HOME / "logs"
DEFAULT_HISTORY = Path(os.environ.get("GRIDSEC_ROUTER_HISTORY",
                                      ROOT.parent / "shared" / "data" / "tipdm2020" / "train_segmented.csv"))


class RasaNotInstalled(RuntimeError):
    pass


def rasa_python() -> Path:
    py = RASA_VENV / "bin" / "python"
    if not py.exists():
        raise RasaNotInstalled(f"{RASA_VENV} is missing: run `bash scripts/setup_rasa.sh`")
    return py


def rasa_bin() -> Path:
    rasa_python()
    return RASA_VENV / "bin" / "rasa"


def rasa_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.update({
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONPATH": os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "-1",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONWARNINGS": "ignore",
        "GRIDSEC_ROUTER_MODEL": str(ROUTER_PATH),
        # Rasa's training cache (hundreds of MB) is useless to us: the whole model is cached by input hash
        "RASA_MAX_CACHE_SIZE": "0",
        "RASA_CACHE_DIRECTORY": str(NLU_HOME / ".rasa-cache"),
        "VIRTUAL_ENV": str(RASA_VENV),
        "PATH": f"{RASA_VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    })
    env.pop("PYTHONHOME", None)
    if extra:
        env.update(extra)
    return env
