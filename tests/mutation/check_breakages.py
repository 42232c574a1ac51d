"""Apply each deliberate breakage of a shipped paper (docs/testing.md), run that paper's test file, and
print which tests failed; every file is restored afterwards (also on Ctrl-C).

    python tests/mutation/check_breakages.py [INDEX ...]
"""
import os
import subprocess
import sys

W = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
B = [
 ("vaegan: L_llike between X and X_p", "plugins/zoo_plugins/vaegan/objective.py",
  "real_f, recon_f, _ = feats[self.llike_layer - 1].split(n)", "real_f, _, recon_f = feats[self.llike_layer - 1].split(n)", "tests/test_vaegan.py"),
 ("vaegan: X~ decoded from the posterior mean", "plugins/zoo_plugins/vaegan/objective.py",
  "x_tilde = dec(posterior.sample())", "x_tilde = dec(posterior.mean)", "tests/test_vaegan.py"),
 ("vaegan: Dis_l after BN+ReLU", "plugins/zoo_plugins/vaegan/networks.py",
  "            x = conv(x)\n            feats.append(x)\n            x = after(x)", "            x = conv(x)\n            x = after(x)\n            feats.append(x)", "tests/test_vaegan.py"),
 ("vaegan: L_GAN without the X_p term", "plugins/zoo_plugins/vaegan/objective.py",
  "F.softplus(recon_logits).mean() + F.softplus(prior_logits).mean()", "F.softplus(recon_logits).mean()", "tests/test_vaegan.py"),
 ("vaegan: L_GAN without X_p, in terms()", "plugins/zoo_plugins/vaegan/objective.py",
  "l_gan = gan_loss(real_l, recon_l, prior_l)", "l_gan = F.softplus(-real_l).mean() + F.softplus(recon_l).mean()", "tests/test_vaegan.py"),
 ("gan: maxout -> mean of pieces", "plugins/zoo_plugins/gan/networks.py", ".amax(-1)", ".mean(-1)", "tests/test_gan.py"),
 ("gan: minimax and non-saturating swapped", "zoo/losses.py",
  '    "minimax": minimax_generator_loss,\n    "nonsaturating": nonsaturating_generator_loss,',
  '    "minimax": nonsaturating_generator_loss,\n    "nonsaturating": minimax_generator_loss,', "tests/test_gan.py"),
 ("dcgan: no BN in the generator's hidden blocks", "plugins/zoo_plugins/dcgan/networks.py",
  "                       nn.BatchNorm2d(c_out), nn.ReLU(True)]", "                       nn.ReLU(True)]", "tests/test_dcgan.py"),
 ("dcgan: collapsed generator (ignores z)", "plugins/zoo_plugins/dcgan/networks.py",
  "h = self.project(z).view(", "h = self.project(z.mean(0, keepdim=True).expand_as(z)).view(", "tests/test_dcgan.py"),
 ("aae: phases draw separate batches (the old code)", "plugins/zoo_plugins/aae/objective.py",
  ", new_batch=False)", ")", "tests/test_aae.py"),
 ("infogan: the information term added instead of subtracted", "plugins/zoo_plugins/infogan/objective.py",
  "loss = adversarial - self.info_weight * (info_cat + info_cont)", "loss = adversarial + self.info_weight * (info_cat + info_cont)", "tests/test_infogan.py"),
 ("infogan: continuous codes left out of L_I", "plugins/zoo_plugins/infogan/objective.py",
  "loss = adversarial - self.info_weight * (info_cat + info_cont)", "loss = adversarial - self.info_weight * info_cat", "tests/test_infogan.py"),
 ("infogan: Gaussian log-likelihood without -log sigma", "plugins/zoo_plugins/infogan/objective.py",
  "log_q = (-0.5 * z ** 2 - log_std - 0.5", "log_q = (-0.5 * z ** 2 - 0.5", "tests/test_infogan.py"),
 ("infogan: D judges real and fake in separate batches", "plugins/zoo_plugins/infogan/objective.py",
  "        out = discriminator_outputs(D, both)\n        real_logits, fake_logits = out.head(\"logits\").split(n)",
  "        out = discriminator_outputs(D, both[n:])\n        real_logits, fake_logits = D(real), out.head(\"logits\")", "tests/test_infogan.py"),
 ("infogan: Q cut off from the shared trunk (no gradient into it)", "plugins/zoo_plugins/infogan/networks.py",
  "self.q_outputs(feats[-1]))", "self.q_outputs(feats[-1].detach()))", "tests/test_infogan.py"),
 ("cvae: decoder likelihood ignores the label", "plugins/zoo_plugins/cvae/networks.py",
  "        logits, logvar = self._params(z, c)\n        return pixel_nll", "        logits, logvar = self._params(z, torch.zeros_like(c))\n        return pixel_nll", "tests/test_cvae.py"),
 ("cgan: D takes y at its input whatever d_condition_layer says", "zoo/nn/conditional_dcgan.py",
  "            if i == self.condition_layer:\n                x = torch.cat", "            if i == 0:\n                x = torch.cat", "tests/test_cgan.py"),
 ("cgan: G ignores y", "zoo/nn/conditional_dcgan.py",
  "self.project(torch.cat([z, y], 1))", "self.project(torch.cat([z, torch.zeros_like(y)], 1))", "tests/test_cgan.py"),
 ("cgan: generated images get other labels than the real ones", "zoo/objectives.py",
  "fake = G(G.sample_latent(real.shape[0], device=real.device), c)", "fake = G(G.sample_latent(real.shape[0], device=real.device), c.roll(1, 0))", "tests/test_cgan.py"),
 ("icgan: E_z trained on real images instead of generated ones", "plugins/zoo_plugins/icgan/objective.py",
  "loss_z = squared_error(z, E_z(fake))", "loss_z = squared_error(z, E_z(real))", "tests/test_icgan.py"),
 ("icgan: E_y regresses the class only, not the attributes", "plugins/zoo_plugins/icgan/objective.py",
  "loss_y = squared_error(condition_vector(G.condition, c, real.dtype), E_y(real))",
  "loss_y = squared_error(condition_vector(G.condition, c, real.dtype)[:, :10], E_y(real)[:, :10])", "tests/test_icgan.py"),
 ("icgan: the E_z loss also trains G (no torch.no_grad)", "plugins/zoo_plugins/icgan/objective.py",
  "        with torch.no_grad():  # G is fixed while the encoders learn to invert it\n            fake = G(z, c)",
  "        fake = G(z, c)", "tests/test_icgan.py"),
 ("icgan: edits keep E_y's class instead of the requested one", "plugins/zoo_plugins/icgan/tasks.py",
  "y[:, :num_classes] = F.one_hot(torch.full((len(y),), number), num_classes).to(y)", "pass", "tests/test_icgan.py"),
 ("sagan: attention's softmax over the query positions instead of the key positions", "zoo/nn/attention.py",
  "torch.softmax(query.transpose(1, 2) @ key, dim=-1)", "torch.softmax(query.transpose(1, 2) @ key, dim=1)", "tests/test_sagan.py"),
 ("sagan: G's conditional BN ignores the class (class 0's gamma and beta for all)", "zoo/nn/conditional_norm.py",
  "self.bn(x) * self.gamma(labels)[:, :, None, None] + self.beta(labels)[:, :, None, None]",
  "self.bn(x) * self.gamma(labels * 0)[:, :, None, None] + self.beta(labels * 0)[:, :, None, None]", "tests/test_sagan.py"),
 ("sagan: D's projection term dropped (D ignores y)", "plugins/zoo_plugins/sagan/networks.py",
  "return self.head(h, c)", "return self.head(h)", "tests/test_sagan.py"),
 ("sagan: D's global sum pooling replaced by average pooling", "plugins/zoo_plugins/sagan/networks.py",
  ".sum(dim=(2, 3))  # global sum pooling", ".mean(dim=(2, 3))  # global sum pooling", "tests/test_sagan.py"),
 ("sagan: G's attention one block early (8x8 instead of 16x16)", "plugins/zoo_plugins/sagan/networks.py",
  "self.attention_after = {4 * 2 ** (i + 1): i", "self.attention_after = {4 * 2 ** (i + 2): i", "tests/test_sagan.py"),
 ("sagan: no spectral norm on G's block convolutions", "plugins/zoo_plugins/sagan/networks.py",
  "        self.conv1 = sn_conv2d(c_in, c_out, 3, padding=1)\n        self.norm2",
  "        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)\n        self.norm2", "tests/test_sagan.py"),
 ("sagan: TTUR learning rates swapped (lr_G 4e-4, lr_D 1e-4)", "plugins/zoo_plugins/sagan/__init__.py",
  '"lr": 1e-4, "d_lr": 4e-4', '"lr": 4e-4, "d_lr": 1e-4', "tests/test_sagan.py"),
 ("sagan: hinge D loss with relu(1 - D(G(z))) for the fakes", "zoo/losses.py",
  "return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()",
  "return F.relu(1 - real_logits).mean() + F.relu(1 - fake_logits).mean()", "tests/test_sagan.py"),
 ("biggan: per-truncation statistics blended the textbook way", "plugins/zoo_plugins/biggan/norms.py",
  "return (means[index] * fraction + means[index + 1] * (1 - fraction),\n            variances[index] * fraction + variances[index + 1] * (1 - fraction))",
  "return (means[index] * (1 - fraction) + means[index + 1] * fraction,\n            variances[index] * (1 - fraction) + variances[index + 1] * fraction)", "tests/test_biggan_convert.py"),
 ("biggan: gen_z rows left in TF's (h, w, c) order", "plugins/zoo_plugins/biggan/convert.py",
  "            value = value[order]", "            value = value", "tests/test_biggan_convert.py"),
 ("biggan: one D step per G step", "zoo/objectives.py",
  "repeats=self.d_steps)", "repeats=1)", "tests/test_biggan.py"),
 ("biggan: truncation by clipping instead of resampling", "plugins/zoo_plugins/biggan/networks.py",
  "return truncated_normal(size, t, generator=generator).to(device)",
  "return torch.randn(size, generator=generator).clamp(-t, t).to(device)", "tests/test_biggan.py"),
 ("biggan: every block gets the same z chunk", "plugins/zoo_plugins/biggan/networks.py",
  "for part in zs[1:]])", "for part in [zs[1]] * (len(zs) - 1)])", "tests/test_biggan.py"),
 ("biggan: the class embedding orthogonally regularised too", "plugins/zoo_plugins/biggan/objective.py",
  ' or name == "embedding":', ":", "tests/test_biggan.py"),
 ("biggan: the spectral-norm cache never invalidated", "plugins/zoo_plugins/biggan/fast_eval.py",
  'if module.__dict__.get("_sn_cache_key") != key:', 'if "_sn_cache_key" not in module.__dict__:', "tests/test_biggan.py"),
 ("biggan: BigGAN-deep's skip keeps the last channels", "plugins/zoo_plugins/biggan/networks.py",
  "skip = x[:, :self.c_out]", "skip = x[:, -self.c_out:]", "tests/test_biggan.py"),
 ("pggan-inpaint: residual blocks not dilated", "plugins/zoo_plugins/pggan_inpaint/networks.py",
  "nn.Conv2d(width, width, 3, padding=dilation, dilation=dilation, bias=False)", "nn.Conv2d(width, width, 3, padding=1, dilation=1, bias=False)", "tests/test_pggan_inpaint.py"),
 ("pggan-inpaint: the generator ignores the mask channel", "plugins/zoo_plugins/pggan_inpaint/networks.py",
  "h = self.stem(c)", "h = self.stem(c * c.new_tensor([1.0] * (c.shape[1] - 1) + [0.0]).view(1, -1, 1, 1))", "tests/test_pggan_inpaint.py"),
 ("pggan-inpaint: no long skip connections", "plugins/zoo_plugins/pggan_inpaint/networks.py",
  "if self.skips:  # long skip", "if False:  # long skip", "tests/test_pggan_inpaint.py"),
 ("pggan-inpaint: the patch head cut off from the shared trunk", "plugins/zoo_plugins/pggan_inpaint/networks.py",
  'logits["patch"] = self.patch_head(shared)', 'logits["patch"] = self.patch_head(shared.detach())', "tests/test_pggan_inpaint.py"),
 ("pggan-inpaint: L1 on the completion instead of the output", "plugins/zoo_plugins/pggan_inpaint/objective.py",
  "rec = F.l1_loss(output, image)", "rec = F.l1_loss(filled, image)", "tests/test_pggan_inpaint.py"),
 ("pggan-inpaint: D judges the raw output, not the completion", "plugins/zoo_plugins/pggan_inpaint/objective.py",
  "filled = completion(output, image, mask)", "filled = output", "tests/test_pggan_inpaint.py"),
 ("pggan-inpaint: minimax instead of non-saturating G terms", "plugins/zoo_plugins/pggan_inpaint/objective.py",
  "losses.nonsaturating_generator_loss(fake[h])", "losses.minimax_generator_loss(fake[h])", "tests/test_pggan_inpaint.py"),
 ("pggan-inpaint: only the global term enters L_G", "plugins/zoo_plugins/pggan_inpaint/objective.py",
  "loss = loss + sum(self.head_weights[h] * t for h, t in terms.items())", 'loss = loss + self.head_weights["global"] * terms.get("global", 0)', "tests/test_pggan_inpaint.py"),
 ("inpaint task: the known pixels not blended back", "zoo/tasks/inpaint.py",
  "return torch.where(hole, filled, x)", "return filled", "tests/test_pggan_inpaint.py"),
 ("inpaint task: tiles averaged without the tent weights", "zoo/tasks/inpaint.py",
  "tent = _tent(size[0], x)[:, None] * _tent(size[1], x)[None, :]", "tent = torch.ones(size, dtype=x.dtype)", "tests/test_pggan_inpaint.py"),
]
only = sys.argv[1:]
env = dict(os.environ, PYTHONPATH=f"{W}:{W}/plugins", OMP_NUM_THREADS="1")
for i, (name, path, old, new, test) in enumerate(B):
    if only and str(i) not in only: continue
    full = os.path.join(W, path); orig = open(full).read()
    assert orig.count(old) >= 1, name
    open(full, "w").write(orig.replace(old, new))
    try:
        r = subprocess.run(["nice", "-n", "10", "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf", test],
                           cwd=W, env=env, capture_output=True, text=True)
    finally:
        open(full, "w").write(orig)
    fails = [l.split(" - ")[0].replace("FAILED ", "") for l in r.stdout.splitlines() if l.startswith("FAILED")]
    print(f"## {name}: rc={r.returncode}; {r.stdout.strip().splitlines()[-1]}")
    for f in fails: print("   ", f)
    sys.stdout.flush()
