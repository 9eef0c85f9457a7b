"""Writes the two tiny torch.save files that CheckpointTests reads to check strided views and dtypes.

Run from this folder with torch installed (CPU build is enough): python3 make_torch_views.py
CI never runs this; it only reads the committed outputs.
"""
import torch

base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
model = {
    "t": base.t(),                # transposed view of a shared storage
    "s": base[:, 1::2],           # every other column
    "o": base[2],                 # storage offset 12
    "scalar": base[1, 2],         # 0-dim view
    "h": base.half()[1:],         # float16 with an offset
    "b": base.bfloat16().t(),     # bfloat16, transposed
    "i": torch.arange(5),         # int64
    "m": base > 10,               # bool
}
torch.save({"model": model, "epoch": 3, "args": {"lr": 1e-3}}, "torch_views.pth")
torch.save({"model": model}, "torch_views_p4.pth", pickle_protocol=4)
