using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;

namespace VirtWeb.Tests.Images;

public sealed class LargeBlockMemoryPoolTests
{
    [Fact]
    public void AddImages_AsDeployed_KestrelGetsTheLargeBlockPool()
    {
        // As Program.cs builds the app: Kestrel's defaults are registered by CreateBuilder, the areas after.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.AddImages();
        using var app = builder.Build();

        var factory = app.Services.GetRequiredService<IMemoryPoolFactory<byte>>();

        Assert.IsType<LargeBlockMemoryPoolFactory>(factory);
        using var pool = factory.Create();
        Assert.Equal(LargeBlockMemoryPool.BlockSize, pool.MaxBufferSize);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(LargeBlockMemoryPool.BlockSize)]
    public void Rent_UpToBlockSize_GivesAWholeBlock(int minimum)
    {
        using var pool = new LargeBlockMemoryPool();

        using var block = pool.Rent(minimum);

        Assert.Equal(LargeBlockMemoryPool.BlockSize, block.Memory.Length);
    }

    [Fact]
    public void Rent_BeyondBlockSize_IsRefused()
    {
        using var pool = new LargeBlockMemoryPool();

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(LargeBlockMemoryPool.BlockSize + 1));
    }

    [Fact]
    public void Dispose_Twice_ReturnsTheArrayOnlyOnce()
    {
        using var pool = new LargeBlockMemoryPool();
        var block = pool.Rent();
        block.Dispose();
        block.Dispose();

        using var first = pool.Rent();
        using var second = pool.Rent();

        Assert.NotSame(ArrayOf(first), ArrayOf(second));
        Assert.Throws<ObjectDisposedException>(() => block.Memory);
    }

    private static byte[] ArrayOf(IMemoryOwner<byte> block) =>
        MemoryMarshal.TryGetArray<byte>(block.Memory, out var segment) ? segment.Array! : throw new InvalidOperationException("not array-backed");
}
