"""PyTorch CPU baseline for `mvd bench`: the same ViT shapes, timed with torch on this machine.

Not used by the tests or CI. Run with a Python that has torch:
    python3 pipelines/reference/torch_cpu_bench.py --threads 1,2 --what teachers,student --precision fp32,bf16
bf16 is PyTorch's CPU autocast (torch.autocast("cpu", dtype=torch.bfloat16)), what a user who wants speed runs.
The models are written here from the shapes in MVD-SPEC (pre-norm blocks, explicit softmax attention as in the
timm version MVD pins, exact GELU); weights are random, which does not change the timings.
"""
import argparse, contextlib, json, time
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, dim, heads, drop_path=0.0):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.norm1, self.norm2 = nn.LayerNorm(dim, eps=1e-6), nn.LayerNorm(dim, eps=1e-6)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.fc1, self.fc2 = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)
        self.drop_path = drop_path

    def _drop(self, x):
        if not self.training or self.drop_path == 0:
            return x
        keep = (torch.rand(x.shape[0], 1, 1) >= self.drop_path).to(x.dtype) / (1 - self.drop_path)
        return x * keep

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        a = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        x = x + self._drop(self.proj((a @ v).transpose(1, 2).reshape(b, n, c)))
        return x + self._drop(self.fc2(F.gelu(self.fc1(self.norm2(x)))))


class Encoder(nn.Module):
    def __init__(self, dim, depth, heads, patch_values, tokens, drop_path=0.0):
        super().__init__()
        self.embed = nn.Linear(patch_values, dim)  # a stride = kernel convolution is this product
        self.pos = nn.Parameter(torch.zeros(1, tokens, dim), requires_grad=False)
        rates = [drop_path * i / max(depth - 1, 1) for i in range(depth)]
        self.blocks = nn.ModuleList([Block(dim, heads, r) for r in rates])

    def forward(self, patches, visible=None):
        x = self.embed(patches) + self.pos
        if visible is not None:
            x = x[visible].reshape(x.shape[0], -1, x.shape[-1])
        for blk in self.blocks:
            x = blk(x)
        return x


class Student(nn.Module):
    """MVD student: encoder on visible tokens, two decoders over all tokens (visible + mask tokens)."""
    def __init__(self, dim=384, depth=12, heads=6, dec_depth=2, target=768, tokens=1568):
        super().__init__()
        self.encoder = Encoder(dim, depth, heads, 1536, tokens, drop_path=0.1)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.decoders = nn.ModuleList()
        for _ in range(2):
            d = nn.ModuleDict(dict(down=nn.Linear(dim, dim), blocks=nn.ModuleList([Block(dim, heads, 0.1) for _ in range(dec_depth)]),
                                   norm=nn.LayerNorm(dim, eps=1e-6), head=nn.Linear(dim, target)))
            d.mask_token = nn.Parameter(torch.zeros(1, 1, dim))
            self.decoders.append(d)
        self.pos_dec = nn.Parameter(torch.zeros(1, tokens, dim), requires_grad=False)

    def forward(self, patches, mask):
        b = patches.shape[0]
        e = self.norm(self.encoder(patches, ~mask))
        outs = []
        for d in self.decoders:
            pos = self.pos_dec.expand(b, -1, -1)
            vis = d["down"](e) + pos[~mask].reshape(b, -1, e.shape[-1])
            msk = d.mask_token + pos[mask].reshape(b, -1, e.shape[-1])
            x = torch.cat([vis, msk], dim=1)
            for blk in d["blocks"]:
                x = blk(x)
            outs.append(d["head"](d["norm"](x[:, -msk.shape[1]:])))
        return outs


def timed(fn, reps):
    fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def tube_mask(b, tokens=1568, per_slice=196, masked=176):
    m = torch.zeros(b, tokens, dtype=torch.bool)
    for i in range(b):
        pattern = torch.zeros(per_slice, dtype=torch.bool)
        pattern[torch.randperm(per_slice)[:masked]] = True
        m[i] = pattern.repeat(tokens // per_slice)
    return m


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", default="1,2")
    p.add_argument("--what", default="teachers,student")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--precision", default="fp32", help="fp32, bf16 (autocast) or fp32,bf16")
    p.add_argument("--batches", default="1,2", help="batch sizes of the student step")
    args = p.parse_args()
    torch.manual_seed(0)
    results = []
    for precision in args.precision.split(","):
        with torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16" else contextlib.nullcontext():
            results += run(args, precision)
    for r in results:
        print(json.dumps(r))


def run(args, precision):
    results = []
    for t in [int(x) for x in args.threads.split(",")]:
        torch.set_num_threads(t)
        with torch.no_grad():
            if "teachers" in args.what:
                for name, dim, heads in [("vit_small", 384, 6), ("vit_base", 768, 12)]:
                    img = Encoder(dim, 12, heads, 768, 197).eval()   # 196 patches + CLS
                    vid = Encoder(dim, 12, heads, 1536, 1568).eval()
                    frames = torch.randn(8, 197, 768)
                    clip = torch.randn(1, 1568, 1536)
                    si = timed(lambda: img(frames), args.reps)
                    sv = timed(lambda: vid(clip), args.reps)
                    results.append(dict(what="image_teacher", arch=name, threads=t, precision=precision, seconds_per_clip=si))
                    results.append(dict(what="video_teacher", arch=name, threads=t, precision=precision, seconds_per_clip=sv))
        if "student" in args.what:
            for b in [int(x) for x in args.batches.split(",")]:
                student = Student().train()
                opt = torch.optim.AdamW(student.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.05)
                patches, targets = torch.randn(b, 1568, 1536), [torch.randn(b, 1408, 768) for _ in range(2)]
                img_t, vid_t = Encoder(768, 12, 12, 768, 197).eval(), Encoder(768, 12, 12, 1536, 1568).eval()

                def step(online):
                    mask = tube_mask(b)
                    if online:
                        with torch.no_grad():
                            fi = img_t(torch.randn(b * 8, 197, 768))[:, 1:].reshape(b, 1568, 768)
                            fv = vid_t(patches)
                        tg = [fi[mask].reshape(b, -1, 768), fv[mask].reshape(b, -1, 768)]
                    else:
                        tg = targets
                    out = student(patches, mask)
                    loss = sum(F.smooth_l1_loss(o, g) for o, g in zip(out, tg))
                    opt.zero_grad(); loss.backward(); opt.step(); loss.item()

                results.append(dict(what="student_step_cached", batch=b, threads=t, precision=precision,
                                    seconds=timed(lambda: step(False), args.reps)))
                results.append(dict(what="student_step_online_teachers", batch=b, threads=t, precision=precision,
                                    seconds=timed(lambda: step(True), args.reps)))
    return results


if __name__ == "__main__":
    main()
