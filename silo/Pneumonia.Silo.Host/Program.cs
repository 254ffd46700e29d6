using Orleans.Dashboard;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Hosting;
using Pneumonia.ServiceDefaults;
using Pneumonia.Silo.Hosting;

// A silo without the REST API: grains, storage, reminders, the dashboard (at /dashboard), the health probes
// (/health/live, /health/ready) and the Prometheus metrics (/metrics/prometheus).
var builder = WebApplication.CreateBuilder(args);
builder.UsePneumoniaDefaultUrl(PneumoniaPorts.SiloHost);
builder.AddPneumoniaSilo(silo => silo.AddPneumoniaGrains());
builder.AddPneumoniaTelemetry("pneumonia-silo");
builder.AddPneumoniaHealthChecks();

var app = builder.Build();
if (app.Configuration.GetSection(PneumoniaSiloOptions.SectionName).Get<PneumoniaSiloOptions>() is not { DashboardEnabled: false })
    app.MapOrleansDashboard(routePrefix: "/dashboard");
app.MapPneumoniaHealthChecks();
app.MapPneumoniaTelemetry();
app.Run();
