namespace Mamba.Core.Tests;

/// <summary>
/// Tests whose outcome depends on weights drawn from libtorch's process-wide generator run alone, after the parallel
/// tests: another test seeding or drawing from that generator mid-way would change what they train.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalRandomTests
{
    public const string Name = "libtorch's global generator";
}
