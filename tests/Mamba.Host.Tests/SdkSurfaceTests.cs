using System.Reflection;
using Mamba.Sdk.Jobs;

namespace Mamba.Host.Tests;

/// <summary>
/// The SDK's SemVer promise covers the core and TorchSharp types its public surface exposes. This pins that list, the
/// one in docs/writing-a-plugin.md (Versioning), so a core type cannot slip into the stable surface unnoticed.
/// </summary>
public sealed class SdkSurfaceTests
{
    private static readonly string[] Documented =
    [
        "Mamba.Core.Training.TrainerOptions",
        "Mamba.Core.Training.TrainingProgress",
        "Mamba.Core.Training.TrainingResult",
        "TorchSharp.torch+Tensor",
        "TorchSharp.torch+nn+Module",
    ];

    [Fact]
    public void The_SDK_surface_exposes_exactly_the_core_and_TorchSharp_types_its_versioning_covers()
    {
        var exposed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in typeof(JobContext).Assembly.GetExportedTypes())
            foreach (var used in Surface(type).SelectMany(Flatten))
                if (used.Assembly.GetName().Name is "Mamba.Core" or "TorchSharp")
                    exposed.Add((used.IsGenericType ? used.GetGenericTypeDefinition() : used).FullName!);

        Assert.True(exposed.SetEquals(Documented),
            $"The SDK's public surface exposes [{string.Join(", ", exposed)}]. Update the list in docs/writing-a-plugin.md " +
            "(Versioning) and here; a change to a listed type that breaks plugins needs an SDK major.");
    }

    private static IEnumerable<Type> Surface(Type type)
    {
        const BindingFlags Visible = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        if (type.BaseType is { } baseType) yield return baseType;
        foreach (var contract in type.GetInterfaces()) yield return contract;
        foreach (var member in type.GetMembers(Visible))
        {
            switch (member)
            {
                case MethodBase method when method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly:
                    if (method is MethodInfo info) yield return info.ReturnType;
                    foreach (var parameter in method.GetParameters()) yield return parameter.ParameterType;
                    break;
                case PropertyInfo property when property.GetMethod is { } get && (get.IsPublic || get.IsFamily):
                    yield return property.PropertyType;
                    break;
                case FieldInfo field when field.IsPublic || field.IsFamily:
                    yield return field.FieldType;
                    break;
            }
        }
    }

    private static IEnumerable<Type> Flatten(Type type)
    {
        if (type.HasElementType)
        {
            foreach (var inner in Flatten(type.GetElementType()!)) yield return inner;
            yield break;
        }
        if (type.IsGenericParameter) yield break;
        yield return type;
        if (type.IsGenericType)
            foreach (var argument in type.GetGenericArguments().SelectMany(Flatten)) yield return argument;
    }
}
