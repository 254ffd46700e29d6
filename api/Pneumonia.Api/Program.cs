using Pneumonia.Api.Endpoints;
using Pneumonia.Api.Hosting;
using Pneumonia.Api.Monitoring;
using Pneumonia.Api.Uploads;
using Pneumonia.Abstractions;
using Pneumonia.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.UsePneumoniaDefaultUrl(PneumoniaPorts.Api);
builder.AddPneumoniaApiOptions();
builder.AddPneumoniaCluster();
builder.AddPneumoniaHttp();
builder.AddApiKeyAuthentication();
builder.AddPneumoniaOpenApi();
builder.AddPneumoniaMonitoring();
builder.AddPneumoniaUploads();

var app = builder.Build();

app.UsePneumoniaPipeline();
app.MapHealthApi();
app.MapPredictionApi();
app.MapUploadApi();
app.MapTrainingApi();
app.MapTrainingEventsApi();
app.MapModelsApi();
app.MapDatasetApi();
app.MapPneumoniaMonitoring();
app.MapPneumoniaDocs();
app.MapPneumoniaDashboard();
app.MapWebApp();

app.Run();

/// <summary>The entry point, public so that tests can host it with WebApplicationFactory.</summary>
public partial class Program;
