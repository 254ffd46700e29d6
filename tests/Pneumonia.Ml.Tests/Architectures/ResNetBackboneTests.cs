using static TorchSharp.torch;
using Pneumonia.Ml.Architectures;

namespace Pneumonia.Ml.Tests.Architectures;

public sealed class ResNetBackboneTests
{
    private static readonly float[] BgrMeans = [103f, 116f, 123f];

    [Fact]
    public void Truncated_backbone_returns_the_third_stage_feature_map()
    {
        using var scope = NewDisposeScope();
        using var backbone = new ResNetBackbone(stages: 3);
        backbone.eval();
        using var noGrad = no_grad();

        var features = backbone.forward(randn(2, 3, 224, 224));

        Assert.Equal(256, backbone.OutputChannels);
        Assert.Equal([2L, 256, 14, 14], features.shape);
    }

    [Theory]
    [InlineData(224)]
    [InlineData(192)]
    public void Network_returns_one_logit_per_image(int size)
    {
        using var scope = NewDisposeScope();
        using var network = new ResNet18Network(backboneStages: 4, dropout: 0.2, BgrMeans);
        network.eval();
        using var noGrad = no_grad();
        var images = rand(3, 1, size, size) * 255;

        var logits = network.forward(images);
        var featureMap = network.FeatureMap(images);

        Assert.Equal([3L], logits.shape);
        Assert.Equal([3L, 512, size / 32, size / 32], featureMap.shape);
        // Class activation map = head weights · feature map; its spatial mean plus the bias is the logit (eval mode).
        var cam = einsum("oc,nchw->nhw", network.Head.weight!, featureMap);
        var logitsFromCam = cam.mean([1, 2]) + network.Head.bias!;
        Assert.True(allclose(logits, logitsFromCam, rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void Channels_last_layout_gives_the_same_logits_and_keeps_its_layout()
    {
        using var scope = NewDisposeScope();
        using var network = new ResNet18Network(backboneStages: 3, dropout: 0, BgrMeans);
        network.eval();
        using var noGrad = no_grad();
        var images = rand(2, 1, 96, 96) * 255;
        var expected = network.forward(images);

        network.ChannelsLast = true;
        var actual = network.forward(images);
        var featureMap = network.FeatureMap(images);

        Assert.True(allclose(actual, expected, rtol: 1e-4, atol: 1e-4));
        // NHWC strides: the channel is the innermost dimension all the way to the last stage.
        Assert.Equal(1L, featureMap.stride(1));
        Assert.False(featureMap.is_contiguous());
    }

    [Fact]
    public void Random_initialisation_needs_no_onnx_file()
    {
        using var scope = NewDisposeScope();
        using var backbone = new ResNetBackbone(stages: 4);
        var parameters = backbone.named_parameters().ToDictionary(p => p.name, p => p.parameter);

        // Kaiming normal, fan-out, ReLU gain: std = sqrt(2 / (64 * 3 * 3)).
        var std = parameters["layer1.0.conv1.weight"].std().item<float>();
        Assert.InRange(std, 0.055f, 0.063f);
        Assert.True(parameters["stem.bn.weight"].eq(1).all().item<bool>());
        Assert.True(parameters["stem.bn.bias"].eq(0).all().item<bool>());
        backbone.eval();
        using var noGrad = no_grad();
        Assert.True(backbone.forward(randn(1, 3, 64, 64)).isfinite().all().item<bool>());
    }

    [Fact]
    public void Module_names_are_stable()
    {
        using var network = new ResNet18Network(backboneStages: 4, dropout: 0, BgrMeans);
        var parameters = network.named_parameters().Select(p => p.name).ToHashSet();
        var buffers = network.named_buffers().Select(b => b.name).ToHashSet();

        Assert.Contains("backbone.stem.conv.weight", parameters);
        Assert.Contains("backbone.layer1.0.conv1.weight", parameters);
        Assert.Contains("backbone.layer2.0.downsample.conv.weight", parameters);
        Assert.Contains("backbone.layer4.2.bn2.bias", parameters);
        Assert.Contains("head.weight", parameters);
        Assert.Contains("input_mean", buffers);
        Assert.Contains("backbone.layer3.1.bn1.running_var", buffers);
        Assert.DoesNotContain("backbone.layer1.0.downsample.conv.weight", parameters);
        // With the BN running means and variances (2 x 5,824) this is the ONNX file's 15,908,800 values; + 513 for the head.
        Assert.Equal(15_897_152 + 513, network.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Frozen_stages_and_their_batch_norm_statistics_do_not_change_in_a_training_step()
    {
        using var scope = NewDisposeScope();
        using var network = new ResNet18Network(backboneStages: 4, dropout: 0.2, BgrMeans);
        for (var stage = 0; stage <= 3; stage++)
            network.Backbone.SetStageTrainable(stage, false);
        network.eval();
        network.train();
        Assert.False(network.Backbone.named_modules().Single(m => m.name == "stem.bn").module.training);
        Assert.True(network.Backbone.named_modules().Single(m => m.name == "layer4.0.bn1").module.training);

        var before = Snapshot(network);
        using var optimizer = optim.Adam(network.parameters().Where(p => p.requires_grad), lr: 1e-3);
        var images = rand(4, 1, 64, 64) * 255;
        var labels = tensor(new float[] { 0, 1, 0, 1 });
        optimizer.zero_grad();
        var loss = nn.functional.binary_cross_entropy_with_logits(network.forward(images), labels);
        loss.backward();
        optimizer.step();
        var after = Snapshot(network);

        static bool Frozen(string name) => !name.StartsWith("backbone.layer4.", StringComparison.Ordinal)
            && !name.StartsWith("head.", StringComparison.Ordinal) && name != "input_mean";
        var frozen = before.Keys.Where(Frozen).ToList();
        var trained = before.Keys.Where(n => !Frozen(n) && n != "input_mean").ToList();
        Assert.NotEmpty(frozen);
        Assert.All(frozen, name => Assert.True(before[name].equal(after[name]).all().item<bool>(), $"{name} changed"));
        Assert.All(trained, name => Assert.False(before[name].equal(after[name]).all().item<bool>(), $"{name} did not change"));
        Assert.True(before["input_mean"].equal(after["input_mean"]).all().item<bool>());
    }

    private static Dictionary<string, Tensor> Snapshot(nn.Module module) =>
        module.named_parameters().Select(p => (p.name, (Tensor)p.parameter))
            .Concat(module.named_buffers())
            .ToDictionary(p => p.Item1, p => p.Item2.detach().clone());
}

public sealed class BatchNormFoldingTests
{
    [Theory]
    [InlineData(160)]
    [InlineData(161)] // odd: the strided convolutions and the max-pool need their explicit asymmetric padding
    public void Folded_backbone_computes_what_the_conv_and_batch_norm_pairs_did(int size)
    {
        using var scope = NewDisposeScope();
        using var backbone = new ResNetBackbone(stages: 3);
        RandomiseBatchNorms(backbone);
        backbone.eval();
        using var noGrad = no_grad();
        var images = randn(2, 3, size, size) * 50;
        var expected = backbone.forward(images);

        backbone.FoldBatchNorm();
        var folded = backbone.forward(images);

        Assert.True(backbone.Stem.Conv.HasFoldedBatchNorm);
        Assert.All(backbone.Blocks, block => Assert.True(block.Conv1.HasFoldedBatchNorm && block.Conv2.HasFoldedBatchNorm));
        Assert.Equal(expected.shape, folded.shape);
        var scale = expected.abs().max().item<float>();
        var worst = (folded - expected).abs().max().item<float>();
        Assert.True(worst <= 1e-4f * scale, $"largest difference {worst} for outputs up to {scale}");
    }

    [Fact]
    public void Folding_refuses_a_backbone_in_training_mode_and_a_second_fold()
    {
        using var backbone = new ResNetBackbone(stages: 1);
        backbone.train();
        Assert.Throws<InvalidOperationException>(backbone.FoldBatchNorm);

        backbone.eval();
        backbone.FoldBatchNorm();
        Assert.Throws<InvalidOperationException>(backbone.FoldBatchNorm);
    }

    [Theory]
    [InlineData(160, 7, 2, new long[] { 3, 3, 2, 2 })]
    [InlineData(161, 7, 2, new long[] { 3, 3, 2, 2 })]
    [InlineData(40, 3, 2, new long[] { 1, 1, 0, 0 })]
    [InlineData(41, 3, 2, new long[] { 1, 1, 0, 0 })]
    [InlineData(33, 3, 1, new long[] { 1, 1, 1, 1 })]
    public void Padded_convolution_matches_an_explicitly_padded_input(int size, long kernel, long stride, long[] pads)
    {
        using var scope = NewDisposeScope();
        using var conv = new PaddedConv2d(4, 8, kernel, stride, pads);
        using var noGrad = no_grad();
        var input = randn(2, 4, size, size);

        var padded = nn.functional.pad(input, [pads[1], pads[3], pads[0], pads[2]]);
        var expected = nn.functional.conv2d(padded, conv.Weight, strides: [stride, stride]);
        var actual = conv.forward(input);

        Assert.Equal(expected.shape, actual.shape);
        Assert.True(allclose(actual, expected, rtol: 1e-5, atol: 1e-5));
    }

    private static void RandomiseBatchNorms(ResNetBackbone backbone)
    {
        using var noGrad = no_grad();
        foreach (var batchNorm in backbone.modules().OfType<TorchSharp.Modules.BatchNorm2d>())
        {
            var channels = batchNorm.running_mean!.shape[0];
            batchNorm.running_mean!.copy_(randn(channels) * 0.5);
            batchNorm.running_var!.copy_(rand(channels) * 2 + 0.05);
            batchNorm.weight!.copy_(rand(channels) + 0.5);
            batchNorm.bias!.copy_(randn(channels) * 0.2);
        }
    }

    [Fact]
    public void The_standard_depth_keeps_the_exports_first_two_stage_4_blocks_with_their_imagenet_weights()
    {
        var standard = ResNet18Architecture.StandardDepth.Describe(4, dropout: 0, pretrained: true);
        var export = ResNet18Architecture.Instance.Describe(4, dropout: 0, pretrained: true);
        using var standardNetwork = NetworkArchitectures.Create(standard, loadPretrainedWeights: true);
        using var exportNetwork = NetworkArchitectures.Create(export, loadPretrainedWeights: true);

        // One 512-channel block fewer: two 3 x 3 convolutions (512 x 512 x 9 each) and two batch norms (2 x 512 each).
        Assert.Equal(export.Parameters - ((2 * 512 * 512 * 9) + (2 * 2 * 512)), standard.Parameters);
        Assert.Equal(ResNet18Architecture.StandardDepthName, standard.Name);
        var kept = standardNetwork.state_dict();
        var all = exportNetwork.state_dict();
        Assert.DoesNotContain(kept.Keys, k => k.Contains("layer4.2", StringComparison.Ordinal));
        Assert.Contains(all.Keys, k => k.Contains("layer4.2", StringComparison.Ordinal));
        // Every weight of the backbone is the export's (the head is freshly initialised in each).
        var backbone = kept.Where(pair => pair.Key.StartsWith("backbone.", StringComparison.Ordinal)).ToList();
        Assert.Equal(all.Keys.Count(k => k.StartsWith("backbone.", StringComparison.Ordinal) && !k.Contains("layer4.2", StringComparison.Ordinal)), backbone.Count);
        Assert.All(backbone, pair => Assert.True(pair.Value.equal(all[pair.Key]).all().item<bool>(), pair.Key));
    }
}
