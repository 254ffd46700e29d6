using System.CommandLine;
using Pneumonia.Cli;

var root = new RootCommand("PneumoniaOrleans command line: classify chest X-rays, import datasets, train and evaluate models.")
{
    ClassifyCommand.Create(),
    ImportCommand.Create(),
    TrainCommand.Create(),
    EvaluateCommand.Create(),
    OodCommand.Create(),
    QuantizeCommand.Create(),
    CheckStoreCommand.Create(),
    BenchInferenceCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
