"""torch: tensors as a bounded summary, like numpy arrays (see ``arrays``).

Kept: shape, dtype, device, ``requires_grad``, the name of the ``grad_fn``,
and a small sample of the elements at both ends of every axis, copied to the
CPU a few elements at a time from a detached view. Tensors without ordinary
storage (sparse, quantized, meta, nested) keep no sample, and neither does a
tensor on a device that fails to answer: the crash may be the device's.
"""

from __future__ import annotations

from .arrays import edge, sample

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any


def _plain(value: Any) -> bool:
    """A dense, strided tensor with real storage: what a sample can be read from."""
    return (str(value.layout) == "torch.strided" and not value.is_quantized
            and not value.is_meta and not getattr(value, "is_nested", False))


def copy_tensor(copier: Any, value: Any, info: Any, depth: int) -> Any:
    shape = tuple(value.shape)
    itemsize = value.element_size()
    copier.hold(value, info, "cycle through a tensor")
    grad_fn = value.grad_fn
    data = {
        "kind": info.qualname,
        "shape": shape,
        "dtype": str(value.dtype),
        "device": str(value.device),
        "requires_grad": bool(value.requires_grad),
        "grad_fn": type(grad_fn).__name__ if grad_fn is not None else None,
        "itemsize": itemsize,
        "edge": 0,
        "sample": [],
    }
    if _plain(value):
        each = edge(shape, itemsize)
        try:
            kept = sample(value.detach(), shape, each)
        except Exception:  # a device in error (the crash itself may be a CUDA error)
            kept = None
        if kept is not None:
            data["edge"] = each
            data["sample"] = copier.copy_made(kept, depth + 1)
    return copier.value(value, "torch.Tensor", data)


HANDLERS = {("torch", "Tensor"): copy_tensor, ("torch.nn.parameter", "Parameter"): copy_tensor}
