using Orleans.Dashboard;
using Pneumonia.Grains.Hosting;
using Pneumonia.Silo.Hosting;

// A silo without the REST API: grains, storage, reminders and the dashboard (at /dashboard).
var builder = WebApplication.CreateBuilder(args);
builder.AddPneumoniaSilo(silo => silo.AddPneumoniaGrains());

var app = builder.Build();
if (app.Configuration.GetSection(PneumoniaSiloOptions.SectionName).Get<PneumoniaSiloOptions>() is not { DashboardEnabled: false })
    app.MapOrleansDashboard(routePrefix: "/dashboard");
app.Run();
