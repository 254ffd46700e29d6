using System.Security.Cryptography;
using System.Text.Json;
using Pneumonia.Ml.Architectures;
using TorchSharp;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Packages;

/// <summary>
/// A model on disk: a directory with <c>model.json</c> (the card) and <c>weights.bin</c> (TorchSharp's format).
/// Both are written to a temporary file and renamed into place, weights first, so a reader never sees a card whose
/// weights are missing or half-written.
/// </summary>
public static class ModelPackage
{
    public const string CardFileName = "model.json";
    public const string WeightsFileName = "weights.bin";

    /// <summary>Writes the network's weights and the card (with the weights' hash filled in) into <paramref name="directory"/>.</summary>
    public static ModelCard Save(PneumoniaNetwork network, ModelCard card, string directory)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(card);
        Directory.CreateDirectory(directory);
        var weightsPath = Path.Combine(directory, WeightsFileName);
        var temporary = Path.Combine(directory, $".{WeightsFileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            InStorageType(network, card.Weights.Storage, () => network.save(temporary));
            FlushToDisk(temporary);
            File.Move(temporary, weightsPath, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
        var weights = new ModelWeightsFile(WeightsFileName, HashFile(weightsPath), new FileInfo(weightsPath).Length, card.Weights.Storage);
        var finalCard = card with { Weights = weights };
        WriteCard(finalCard, directory);
        return finalCard;
    }

    /// <summary>Writes (or replaces) only the card, atomically.</summary>
    public static void WriteCard(ModelCard card, string directory)
    {
        ArgumentNullException.ThrowIfNull(card);
        var path = Path.Combine(directory, CardFileName);
        var temporary = Path.Combine(directory, $".{CardFileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(card, ModelCardJson.Options));
            FlushToDisk(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public static ModelCard ReadCard(string directory)
    {
        var path = Path.Combine(directory, CardFileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"no model card at {path}", path);
        return JsonSerializer.Deserialize<ModelCard>(File.ReadAllBytes(path), ModelCardJson.Options)
            ?? throw new InvalidDataException($"{path} is not a model card");
    }

    /// <summary>Rebuilds the network the card describes and loads its weights, refusing a file whose hash differs.</summary>
    public static PneumoniaNetwork LoadNetwork(ModelCard card, string directory)
    {
        ArgumentNullException.ThrowIfNull(card);
        var weightsPath = Path.Combine(directory, card.Weights.FileName);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"model {card.Version}: weights file {weightsPath} is missing", weightsPath);
        var actual = HashFile(weightsPath);
        if (!string.Equals(actual, card.Weights.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"model {card.Version}: {weightsPath} has SHA-256 {actual}, the card says {card.Weights.Sha256}");
        var network = NetworkArchitectures.Create(card.Architecture, loadPretrainedWeights: false);
        // TorchSharp loads a tensor only into one of the same type: a bfloat16 file loads into a bfloat16 network.
        InStorageType(network, card.Weights.Storage, () => network.load(weightsPath));
        network.eval();
        return network;
    }

    /// <summary>
    /// Rounds the network's parameters and buffers, in place, to what a weights file of <paramref name="storage"/>
    /// holds, so that what is measured before saving is what a load gives back. Nothing changes for float32.
    /// </summary>
    public static void RoundForStorage(PneumoniaNetwork network, WeightStorage storage)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (storage == WeightStorage.Fp32) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var tensor in network.parameters().Concat(network.buffers()).Where(t => t.is_floating_point()))
        {
            tensor.copy_(tensor.to(ScalarType.BFloat16).to(tensor.dtype));
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> (a save or a load) with the network's tensors in the type <paramref name="storage"/>
    /// files hold, then returns them to float32, the type every computation uses. Saving is exact when the network was
    /// rounded first (<see cref="RoundForStorage"/>): bfloat16 to float32 and back loses nothing.
    /// </summary>
    private static void InStorageType(PneumoniaNetwork network, WeightStorage storage, Action work)
    {
        if (storage == WeightStorage.Fp32)
        {
            work();
            return;
        }

        network.to(ScalarType.BFloat16);
        try
        {
            work();
        }
        finally
        {
            network.to(ScalarType.Float32);
        }
    }

    public static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void FlushToDisk(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Flush(flushToDisk: true);
    }
}
