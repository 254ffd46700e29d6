using Pneumonia.Abstractions;

namespace Pneumonia.Silo.Tests;

[GenerateSerializer, Alias("Pneumonia.Silo.Tests.CounterState")]
public sealed record CounterState
{
    [Id(0)] public int Count { get; init; }

    [Id(1)] public string? Label { get; init; }
}

[Alias("Pneumonia.Silo.Tests.ICounterGrain")]
public interface ICounterGrain : IGrainWithStringKey
{
    [Alias("Increment")]
    Task<int> Increment();

    [Alias("GetCount")]
    Task<int> GetCount();

    [Alias("RegisterReminder")]
    Task RegisterReminder(string name);

    [Alias("HasReminder")]
    Task<bool> HasReminder(string name);
}

/// <summary>Keeps a counter in <see cref="GrainStorage.Name"/> and can hold a reminder that never fires during a test.</summary>
public sealed class CounterGrain([PersistentState("counter", GrainStorage.Name)] IPersistentState<CounterState> counter)
    : Grain, ICounterGrain, IRemindable
{
    public async Task<int> Increment()
    {
        counter.State = counter.State with { Count = counter.State.Count + 1 };
        await counter.WriteStateAsync();
        return counter.State.Count;
    }

    public Task<int> GetCount() => Task.FromResult(counter.State.Count);

    public Task RegisterReminder(string name)
        => this.RegisterOrUpdateReminder(name, dueTime: TimeSpan.FromHours(1), period: TimeSpan.FromHours(1));

    public async Task<bool> HasReminder(string name) => await this.GetReminder(name) is not null;

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;
}
