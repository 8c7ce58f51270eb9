namespace Mamba.Sdk.Jobs;

/// <summary>
/// Names the tasks that read an option (or a whole section) of an options class several tasks share, so that
/// <c>mamba plugins inspect &lt;plugin&gt; &lt;task&gt;</c> lists for each task only what it reads. An option without
/// it is read by every task of the class. Binding is unchanged: a job may still set an option its task ignores.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class UsedByAttribute(params string[] tasks) : Attribute
{
    /// <summary>The task names, as in <c>[JobTask("…")]</c>.</summary>
    public IReadOnlyList<string> Tasks { get; } = tasks;
}
