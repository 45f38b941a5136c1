import sys, time, torch
from mmcl_lite.data import make_shapes
from mmcl_lite.augment import ImageViews, MultiCropViews
from mmcl_lite import methods as M
from mmcl_lite.train import fit
from mmcl_lite import evaluate
data = make_shapes(6000, seed=0); train, test = data.split(0.25)
v = ImageViews.simclr().replace(crop_scale=(0.35, 1.0))
def mc(n_local=2):
    return MultiCropViews.swav(32, n_local=n_local)
cfgs = [
 ("BYOL tau.9", lambda: M.BYOL(views=v, base_tau=0.9), {}),
 ("BYOL tau.96", lambda: M.BYOL(views=v, base_tau=0.96), {}),
 ("BYOL tau.96 lr5e-3", lambda: M.BYOL(views=v, base_tau=0.96), {"lr": 5e-3}),
 ("SimSiam lr5e-3", lambda: M.SimSiam(views=v), {"lr": 5e-3}),
 ("SimSiam pred128", lambda: M.SimSiam(views=v, pred_hidden=128), {}),
 ("SwAV p100", lambda: M.SwAV(views=mc(), n_prototypes=100), {}),
 ("SwAV q1024", lambda: M.SwAV(views=mc(), queue_size=1024), {}),
 ("SwAV p100 loc4", lambda: M.SwAV(views=mc(4), n_prototypes=100), {}),
 ("SwAV p100 t.2", lambda: M.SwAV(views=mc(), n_prototypes=100, temperature=0.2), {}),
 ("MoCo m.9", lambda: M.MoCo(views=v, momentum=0.9), {}),
 ("SimCLR t.1", lambda: M.SimCLR(views=v, temperature=0.1), {}),
]
t0 = time.time()
for name, make, kw in cfgs:
    if time.time() - t0 > float(sys.argv[1]): print("out of time", name); break
    torch.manual_seed(0); m = make(); steps = 600
    t = time.time()
    h = fit(m, train, epochs=-(-steps // 35), batch_size=128, lr=kw.get("lr", 2e-3), max_steps=steps, progress=False)
    r = evaluate.evaluate_method(m, train, test)
    print(f"{name:22s} {time.time()-t:5.1f}s linear={r['linear']:.3f} knn={r['knn']:.3f} loss={h.epochs[-1]['loss']:.3f} {h.status}", flush=True)
