"""Attention-guided representation fusion, eq. 3, 4 and 10."""

import torch

from pmrf_lightning.nn import AttentionFusion, apply_patch_attention

CHANNELS = [2, 4, 8, 16]
SIZES = [64, 32, 16, 8]  # the 256² layout scaled down: patches 8², 4², 2², 1²


def branches(batch: int = 2) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [torch.randn(batch, c, s, s, generator=generator) for c, s in zip(CHANNELS, SIZES)]


def test_attention_rows_are_distributions_over_the_lowest_resolution() -> None:
    attention = AttentionFusion(CHANNELS).attention(branches())
    assert attention.shape == (2, 64, 64)
    torch.testing.assert_close(attention.sum(-1), torch.ones(2, 64))
    assert (attention >= 0).all()


def test_identity_attention_doubles_every_patch() -> None:
    x = torch.randn(1, 3, 8, 8)
    identity = torch.eye(16).unsqueeze(0)
    torch.testing.assert_close(apply_patch_attention(identity, x, 2), 2 * x)


def test_a_permutation_moves_whole_patches() -> None:
    x = torch.arange(16.0).view(1, 1, 4, 4)
    swap = torch.tensor([[0.0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]).unsqueeze(0)
    y = apply_patch_attention(swap, x, 2) - x
    # patch 0 (top-left) now holds patch 1 (top-right) and the other way round
    torch.testing.assert_close(y[..., :2, :2], x[..., :2, 2:])
    torch.testing.assert_close(y[..., :2, 2:], x[..., :2, :2])
    torch.testing.assert_close(y[..., 2:, :], x[..., 2:, :])


def test_a_cyclic_attention_reads_row_i_as_the_weights_of_output_patch_i() -> None:
    """An asymmetric a: a_01 = a_12 = a_23 = a_30 = 1, so patch i receives patch i + 1 (a_ji would
    give it patch i − 1)."""
    x = torch.arange(16.0).view(1, 1, 4, 4)
    cycle = torch.roll(torch.eye(4), shifts=1, dims=1).unsqueeze(0)
    assert cycle[0, 0, 1] == 1 and cycle[0, 1, 0] == 0
    y = apply_patch_attention(cycle, x, 2) - x
    patches = [x[..., :2, :2], x[..., :2, 2:], x[..., 2:, :2], x[..., 2:, 2:]]
    outputs = [y[..., :2, :2], y[..., :2, 2:], y[..., 2:, :2], y[..., 2:, 2:]]
    for i in range(4):
        torch.testing.assert_close(outputs[i], patches[(i + 1) % 4])


def test_eq3_row_i_is_a_softmax_over_j_of_f_i_dot_g_j() -> None:
    """With f ≠ g the scores s_ij = f(x_i)ᵀ g(x_j) are not symmetric; check them by hand."""
    torch.manual_seed(0)
    fusion = AttentionFusion(CHANNELS)
    xs = branches(batch=1)
    pooled = torch.cat([torch.nn.functional.avg_pool2d(x, x.shape[-1] // 8) for x in xs], dim=1)
    f, g = fusion.query(pooled).flatten(2)[0], fusion.key(pooled).flatten(2)[0]  # (K, N)
    scores = f.T @ g
    assert not torch.allclose(scores, scores.T)
    torch.testing.assert_close(fusion.attention(xs)[0], torch.softmax(scores, dim=1))


def test_uniform_attention_adds_the_mean_patch_to_each_branch() -> None:
    fusion = AttentionFusion(CHANNELS)
    with torch.no_grad():  # f = g = 0 gives s_ij = 0, so a_ij = 1 / N
        for conv in (fusion.query, fusion.key):
            conv.weight.zero_()
            conv.bias.zero_()
    xs = branches()
    masks = [(torch.rand(2, 1, s, s) > 0.5).float() for s in SIZES]  # attention fills every hole
    out, out_masks = fusion(xs, masks)
    for x, y, size in zip(xs, out, SIZES):
        patch = size // SIZES[-1]
        blocks = x.view(2, x.shape[1], 8, patch, 8, patch)
        mean_patch = blocks.mean(dim=(2, 4), keepdim=True).expand_as(blocks).reshape_as(x)
        torch.testing.assert_close(y, x + mean_patch)
    assert all(torch.equal(m, torch.ones_like(n)) for m, n in zip(out_masks, masks))


def test_eq10_keeps_a_channels_last_branch_channels_last() -> None:
    attention = torch.softmax(torch.randn(2, 16, 16), dim=-1)
    x = torch.randn(2, 5, 32, 32)
    out = apply_patch_attention(attention, x.contiguous(memory_format=torch.channels_last), 8)
    assert out.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(out, apply_patch_attention(attention, x, 8))
