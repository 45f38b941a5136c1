"""One-off GPU sweep: which settings make each method learn shapes within a small step budget."""
import json, sys, time, torch
from mmcl_lite.data import make_shapes
from mmcl_lite.augment import ImageViews, MultiCropViews
from mmcl_lite import methods as M
from mmcl_lite.train import fit
from mmcl_lite import evaluate

data = make_shapes(6000, seed=0)
train, test = data.split(0.25)
print("raw", evaluate.probe(evaluate.raw_pixel_features(train), train.labels,
                             evaluate.raw_pixel_features(test), test.labels), flush=True)
def views(rot, scale=0.35):
    return ImageViews.simclr().replace(crop_scale=(scale, 1.0), rotation=rot)
def mc(rot):
    v = MultiCropViews.swav(32, n_local=2)
    return MultiCropViews(global_views=v.global_views.replace(rotation=rot),
                          local_views=v.local_views.replace(rotation=rot), n_global=2, n_local=2)
cfgs = [
 ("SimCLR base", lambda: M.SimCLR(views=views(0)), {}),
 ("SimCLR rot", lambda: M.SimCLR(views=views(180)), {}),
 ("SimCLR rot s0.2", lambda: M.SimCLR(views=views(180, 0.2)), {}),
 ("SimCLR rot t0.5", lambda: M.SimCLR(views=views(180), temperature=0.5), {}),
 ("SimCLR rot t0.1", lambda: M.SimCLR(views=views(180), temperature=0.1), {}),
 ("SimCLR rot lr5e-3", lambda: M.SimCLR(views=views(180)), {"lr": 5e-3}),
 ("SimCLR rot bs256", lambda: M.SimCLR(views=views(180)), {"batch_size": 256}),
 ("SimCLR rot 3x steps", lambda: M.SimCLR(views=views(180)), {"steps": 1200}),
 ("SimCLR rot width16", lambda: M.SimCLR(views=views(180)), {"width": 16}),
 ("MoCo rot", lambda: M.MoCo(views=views(180)), {}),
 ("SimSiam rot", lambda: M.SimSiam(views=views(180)), {}),
 ("SimSiam rot noSG", lambda: M.SimSiam(views=views(180), stop_gradient=False), {}),
 ("BYOL rot", lambda: M.BYOL(views=views(180)), {}),
 ("SwAV rot", lambda: M.SwAV(views=mc(180)), {}),
 ("MoCo rot 3x", lambda: M.MoCo(views=views(180)), {"steps": 1200}),
 ("SimSiam rot 3x", lambda: M.SimSiam(views=views(180)), {"steps": 1200}),
 ("BYOL rot 3x", lambda: M.BYOL(views=views(180)), {"steps": 1200}),
 ("SwAV rot 3x", lambda: M.SwAV(views=mc(180)), {"steps": 1200}),
]
budget = float(sys.argv[1]) if len(sys.argv) > 1 else 400
t_start = time.time()
for name, make, kw in cfgs:
    if time.time() - t_start > budget:
        print("out of time before", name); break
    torch.manual_seed(0)
    m = make()
    if kw.get("width"):
        from mmcl_lite.models import ConvNet
        m.encoder = ConvNet(3, kw["width"]); 
        from mmcl_lite.models import MLPHead
        m.projector = MLPHead(m.encoder.feature_dim, 512, 128)
    bs = kw.get("batch_size", 128)
    steps = kw.get("steps", 400)
    epochs = -(-steps // (len(train) // bs))
    t = time.time()
    h = fit(m, train, epochs=epochs, batch_size=bs, lr=kw.get("lr", 2e-3), max_steps=steps,
            progress=False, knn_monitor=(train.subset(slice(0, 2000)), test.subset(slice(0, 500))))
    r = evaluate.evaluate_method(m, train, test)
    print(f"{name:24s} steps={len(h.steps)} {time.time()-t:5.1f}s linear={r['linear']:.3f} knn={r['knn']:.3f} "
          f"erank={h.last('eff_rank'):.1f} std={h.last('emb_std'):.2f} loss={h.epochs[-1]['loss']:.3f}", flush=True)
