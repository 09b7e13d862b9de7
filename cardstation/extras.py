"""Optional parts of the install: the reference gateway's web stack is the `gateway` extra.

A station never serves HTTP, so a county install (`pip install cardstation`) carries no
starlette/uvicorn. Commands that run or administer the reference gateway check for them first
and say, in Chinese, what to install instead of failing with an import traceback.
"""

from __future__ import annotations

import importlib.util
import sys

GATEWAY_MODULES: tuple[str, ...] = ("starlette", "uvicorn")

MSG_GATEWAY_EXTRA = (
    "错误：参考卡管网关需要的组件未安装（缺少 {missing}）。服务站本身不需要它们；"
    "要在这台机器上运行网关，请安装：pip install 'cardstation[gateway]'"
    "（开发环境运行 ./dev.sh setup 即可）。"
)


def missing_gateway_modules() -> list[str]:
    """Names of the gateway extra's modules that cannot be imported here."""
    return [name for name in GATEWAY_MODULES if importlib.util.find_spec(name) is None]


def require_gateway_extra() -> bool:
    """True when the gateway can run; else print what to install (stderr) and return False."""
    missing = missing_gateway_modules()
    if missing:
        print(MSG_GATEWAY_EXTRA.format(missing="、".join(missing)), file=sys.stderr)
        return False
    return True
