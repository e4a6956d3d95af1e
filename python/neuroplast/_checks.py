"""Argument checks shared by the Python facade: progress bars and count arguments, so that a
wrong argument fails before anything runs, with a message naming it."""

from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np

from ._neuroplast import ConfigError


def config_error(path: str, msg: str) -> ConfigError:
    """A :class:`neuroplast.ConfigError` ``"path: msg"`` whose ``.path`` is ``path``, as the
    compiled module's."""
    e = ConfigError(f"{path}: {msg}")
    e.path = path
    return e


def count(value: Any, name: str, minimum: int = 0) -> int:
    """``value`` as an int ≥ ``minimum``; a float must be whole (``2.0`` is fine, ``2.5`` not)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected an integer, got {type(value).__name__} {value!r}")
    if isinstance(value, numbers.Integral):
        n = int(value)
    else:
        f = float(value)
        if not f.is_integer():
            raise config_error(name, f"must be a whole number, got {value!r}")
        n = int(f)
    if n < minimum:
        raise config_error(name, f"must be ≥ {minimum}, got {n}")
    return n


def progress_callback(
    progress: Any, total: int
) -> tuple[Callable[[int], Any] | None, Any]:
    """(callback, bar) for a ``progress`` argument: ``True`` draws a tqdm bar (a warning and no
    bar without tqdm), a callable is called with the steps done so far, ``False``/``None``
    does nothing. Anything else is refused before the run starts."""
    if progress is None or progress is False:
        return None, None
    if progress is True:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            import warnings

            warnings.warn(
                "progress=True needs tqdm (pip install tqdm); running without a bar", stacklevel=3
            )
            return None, None
        bar = tqdm(total=total, unit="step")
        last = [0]

        def callback(done: int) -> None:
            bar.update(done - last[0])
            last[0] = done

        return callback, bar
    if callable(progress):
        return progress, None
    raise TypeError(
        f"progress: expected True, False, None or a callable taking the steps done, got {progress!r}"
    )


def unsigned(x: Any, name: str, dtype: Any, ndim: int, maximum: int | None = None) -> np.ndarray:
    """``x`` as a contiguous array of ``dtype`` (an unsigned integer type) with ``ndim``
    dimensions, refusing negative, non-whole or too large values instead of wrapping them."""
    a = np.asarray(x)
    if a.ndim != ndim:
        raise config_error(name, f"expected a {ndim}-D array, got shape {a.shape}")
    if a.dtype.kind == "b":
        a = a.astype(dtype)
    if a.dtype.kind not in "iuf":
        raise config_error(name, f"expected whole numbers ≥ 0, got dtype {a.dtype}")
    top = np.iinfo(dtype).max if maximum is None else maximum
    if a.size:
        if a.dtype.kind == "f":
            bad = ~np.isfinite(a) | (a != np.floor(a))
            if bad.any():
                i = np.unravel_index(int(np.argmax(bad)), a.shape)
                raise config_error(name, f"expected whole numbers, got {a[i].item()!r} at index {tuple(int(k) for k in i)}")
        lo, hi = a.min(), a.max()
        if lo < 0 or hi > top:
            v = lo if lo < 0 else hi
            i = np.unravel_index(int(np.argmax(a == v)), a.shape)
            raise config_error(
                name,
                f"values must be in [0, {top}], got {v.item()!r} at index {tuple(int(k) for k in i)}",
            )
    return np.ascontiguousarray(a, dtype=dtype)


def strings(values: Any, name: str) -> list[str]:
    """A list of strings from one string or an iterable of them (a lone string is one item,
    not its characters)."""
    if isinstance(values, str):
        return [values]
    out = list(values)
    for v in out:
        if not isinstance(v, str):
            raise TypeError(f"{name}: expected strings, got {type(v).__name__} {v!r}")
    return out


def rule_names(rules: tuple[Any, ...]) -> list[str]:
    """``freeze("stdp", "ip")`` and ``freeze(["stdp", "ip"])`` alike."""
    out: list[str] = []
    for r in rules:
        out += strings(r, "rules")
    return out
