namespace Pneumonia.Silo.Reminders;

/// <summary>One reminder as written to the reminder file.</summary>
internal sealed record StoredReminder(string GrainId, string ReminderName, DateTime StartAt, TimeSpan Period, string ETag);
