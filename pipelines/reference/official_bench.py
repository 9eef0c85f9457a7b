"""PyTorch figures from the original MVD repository's own modules, for pipelines/reference/side-by-side.sh.

Not used by the tests or CI. The modules are imported unmodified from --official DIR (a checkout of the original
repository; it needs timm 0.4.12, the version its INSTALL.md pins, which imports under torch 2.x):
    python3 pipelines/reference/official_bench.py --official DIR --row student --batch 4 --precision fp32 --threads 2
One row a process, so that the peak resident memory printed (peak_rss_mb, getrusage's ru_maxrss) is that row's.
Rows:
  image-teacher   mae_teacher_vit_base_patch16 on the 8 frames an MVD clip gives it (frames 0, 2, ..., 224²)
  video-teacher   pretrain_videomae_teacher_base_patch16_224 on one 16×224² clip
  student         one training step of pretrain_masked_video_student_small_patch16_224 (decoder depth 2, targets
                  768 wide, as run_mvd_pretraining.py builds it) from given teacher features, as the original's
                  engine_for_pretraining runs it with the teachers' features already computed: tube mask 75%, both
                  SmoothL1 losses, backward, the gradient norm its loss scaler takes, AdamW over the parameter groups
                  of its optim_factory.create_optimizer (betas 0.9, 0.95; weight decay 0.05).
bf16 is PyTorch's CPU autocast, as the original's CUDA autocast would run on a CPU. With --profile the student row
also prints PyTorch's profiler table of one step (self CPU time per operator) on standard error, and a JSON line per
operator category (what: "profile").
"""
import argparse, contextlib, json, resource, sys, time
from argparse import Namespace


def load_official(path):
    sys.path.insert(0, path)
    import warnings
    warnings.filterwarnings("ignore")
    import numpy
    # The original is written against numpy < 1.24, which still had this alias of the builtin.
    if not hasattr(numpy, "float"):
        numpy.float = float
    import modeling_student, modeling_teacher, modeling_video_teacher  # noqa: F401  (registers the models)
    import masking_generator, optim_factory
    return masking_generator, optim_factory


def median_seconds(fn, reps):
    fn()  # warm-up: first-touch allocation, oneDNN primitive creation
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


# Operator names of PyTorch's profiler, folded into the categories of docs/design.md's breakdown. Anything else is
# "other". Backward operators are counted under their own name (PyTorch runs them as separate aten calls).
CATEGORIES = [
    ("attention products", ("aten::bmm", "aten::baddbmm", "aten::_scaled_dot_product")),
    ("linear products", ("aten::addmm", "aten::mm", "aten::matmul", "aten::linear", "aten::convolution",
                         "aten::_convolution", "aten::mkldnn_convolution", "aten::convolution_backward", "aten::_mkldnn")),
    ("softmax", ("aten::_softmax", "aten::softmax", "aten::_softmax_backward_data")),
    ("layer norm", ("aten::native_layer_norm", "aten::native_layer_norm_backward", "aten::layer_norm")),
    ("gelu", ("aten::gelu", "aten::gelu_backward")),
    ("losses", ("aten::smooth_l1_loss", "aten::smooth_l1_loss_backward")),
    ("optimizer", ("aten::_foreach", "Optimizer.step", "aten::lerp", "aten::addcdiv", "aten::addcmul", "aten::sqrt")),
    ("grad norm", ("aten::linalg_vector_norm", "aten::norm", "aten::stack")),
    ("copies and conversions", ("aten::copy_", "aten::cat", "aten::clone", "aten::contiguous", "aten::_to_copy",
                                "aten::to", "aten::index", "aten::index_put", "aten::masked_select", "aten::gather",
                                "aten::scatter", "aten::fill_", "aten::zero_", "aten::zeros", "aten::empty")),
]


def category(name):
    for cat, prefixes in CATEGORIES:
        if name.startswith(prefixes):
            return cat
    return "other"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--official", required=True, help="checkout of the original MVD repository")
    p.add_argument("--row", required=True, choices=["image-teacher", "video-teacher", "student"])
    p.add_argument("--batch", type=int, default=1, help="clips a student step (default 1)")
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=3, help="timed runs after one warm-up; the median is printed")
    p.add_argument("--profile", action="store_true", help="student row: also profile one step per operator")
    args = p.parse_args()

    masking_generator, optim_factory = load_official(args.official)
    import numpy, torch
    from timm.models import create_model

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if args.precision == "bf16" else contextlib.nullcontext()
    record = dict(what=args.row, precision=args.precision, threads=args.threads, torch=torch.__version__,
                  cpu_capability=torch.backends.cpu.get_cpu_capability())

    if args.row in ("image-teacher", "video-teacher"):
        if args.row == "image-teacher":
            model = create_model("mae_teacher_vit_base_patch16", pretrained=False, img_size=224).eval()
            x = torch.randn(8, 3, 224, 224)
        else:
            model = create_model("pretrain_videomae_teacher_base_patch16_224", pretrained=False, img_size=224,
                                 drop_path_rate=0.0).eval()
            x = torch.randn(1, 3, 16, 224, 224)
        with torch.no_grad(), autocast:
            record["seconds"] = median_seconds(lambda: model(x), args.reps)
    else:
        model = create_model(
            "pretrain_masked_video_student_small_patch16_224", pretrained=False, drop_path_rate=0.1,
            drop_block_rate=None, decoder_depth=2, use_cls_token=False, num_frames=16, target_feature_dim=768,
            target_video_feature_dim=768, feat_decoder_embed_dim=None, feat_decoder_num_heads=None,
            use_checkpoint=False, tubelet_size=2).train()
        opt_args = Namespace(opt="adamw", weight_decay=0.05, lr=1.5e-4, opt_eps=1e-8, opt_betas=[0.9, 0.95], momentum=0.9)
        with contextlib.redirect_stdout(sys.stderr):  # it prints its parameter groups
            optimizer = optim_factory.create_optimizer(opt_args, model)
        masks = masking_generator.TubeMaskingGenerator((8, 14, 14), 0.75)
        b = args.batch
        videos = torch.randn(b, 3, 16, 224, 224)
        # The teachers' features over all 1568 tokens, as the original computes them before the loss.
        image_features, video_features = torch.randn(b, 1568, 768), torch.randn(b, 1568, 768)
        loss_fn = torch.nn.SmoothL1Loss()

        def step():
            mask = torch.from_numpy(numpy.stack([masks() for _ in range(b)])).to(torch.bool)
            with autocast:
                out_img, out_vid = model(videos, mask)
                loss = loss_fn(out_img, image_features[mask].reshape(b, -1, 768)) \
                    + loss_fn(out_vid, video_features[mask].reshape(b, -1, 768))
            optimizer.zero_grad()
            loss.backward()
            # The original's loss scaler takes this norm at every step (utils.get_grad_norm_; utils itself does not
            # import under torch 2.x, it needs torch._six).
            torch.norm(torch.stack([torch.norm(q.grad.detach(), 2.0) for q in model.parameters() if q.grad is not None]), 2.0)
            optimizer.step()
            return loss.item()

        record["batch"] = b
        record["seconds"] = median_seconds(step, args.reps)
        if args.profile:
            from torch.profiler import profile, ProfilerActivity
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                step()
            events = prof.key_averages()
            print(events.table(sort_by="self_cpu_time_total", row_limit=40), file=sys.stderr)
            totals = {}
            for e in events:
                totals[category(e.key)] = totals.get(category(e.key), 0.0) + e.self_cpu_time_total / 1e6
            for cat, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
                print(json.dumps(dict(what="profile", category=cat, seconds=seconds, batch=b, precision=args.precision,
                                      threads=args.threads)))
    record["reps"] = args.reps
    record["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(record))


if __name__ == "__main__":
    main()
