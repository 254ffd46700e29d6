using System.ComponentModel.DataAnnotations;

namespace Pneumonia.Silo.Reminders;

/// <summary>Options of <see cref="FileReminderTable"/>.</summary>
public sealed class FileReminderTableOptions
{
    /// <summary>The data directory; reminders go to <c>&lt;DataDirectory&gt;/reminders/reminders.json</c>.</summary>
    [Required(AllowEmptyStrings = false)]
    public string DataDirectory { get; set; } = "";
}
