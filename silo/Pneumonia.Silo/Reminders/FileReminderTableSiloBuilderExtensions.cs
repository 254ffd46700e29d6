using Microsoft.Extensions.DependencyInjection;

namespace Pneumonia.Silo.Reminders;

/// <summary>Registers <see cref="FileReminderTable"/> as the silo's reminder service.</summary>
public static class FileReminderTableSiloBuilderExtensions
{
    /// <summary>Enables reminders, persisted on local disk; the options are validated at start-up.</summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="configure">Sets the options, at least <see cref="FileReminderTableOptions.DataDirectory"/>.</param>
    /// <returns>The builder.</returns>
    public static ISiloBuilder UseFileReminderService(this ISiloBuilder builder, Action<FileReminderTableOptions> configure)
    {
        builder.AddReminders();
        builder.Services.AddOptions<FileReminderTableOptions>()
            .Configure(configure)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IReminderTable, FileReminderTable>();
        return builder;
    }
}
