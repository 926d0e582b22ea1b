using System.Diagnostics;
using System.Net.Sockets;

namespace VirtWeb.IntegrationTests.Data;

/// <summary>The real executable, started as an operator would, with a broken database setting.</summary>
public sealed class StartupValidationTests
{
    [Fact]
    public async Task Startup_MissingConnectionString_ExitsWithOneLineNamingTheSetting()
    {
        var (exitCode, stderr) = await RunAppAsync(connectionString: "");

        Assert.NotEqual(0, exitCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("ConnectionStrings:VirtWeb is not set", line);
    }

    [Fact]
    public async Task Startup_MalformedConnectionString_ExitsNamingTheSetting()
    {
        var (exitCode, stderr) = await RunAppAsync(connectionString: "this is not a connection string");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("ConnectionStrings:VirtWeb is not a valid PostgreSQL connection string", stderr);
    }

    [Fact]
    public async Task Startup_PostgresDown_ExitsNamingTheSettingAndServer()
    {
        var port = UnusedPort();

        var (exitCode, stderr) = await RunAppAsync($"Host=127.0.0.1;Port={port};Database=virtweb;Username=nobody;Password=x;Timeout=3");

        Assert.NotEqual(0, exitCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("ConnectionStrings:VirtWeb", line);
        Assert.Contains($"Port={port}", line);
        Assert.DoesNotContain("Password", line);
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<(int ExitCode, string StandardError)> RunAppAsync(string connectionString)
    {
        var workingDirectory = Directory.CreateTempSubdirectory("virtweb-startup-").FullName;
        var start = new ProcessStartInfo("dotnet", [typeof(Program).Assembly.Location, "--urls", "http://127.0.0.1:0"])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment["ConnectionStrings__VirtWeb"] = connectionString;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove(TestPostgres.EnvironmentVariable);

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"VirtWeb did not stop within 60 s with ConnectionStrings__VirtWeb='{connectionString}'. Output: {await stdout}");
        }
        finally
        {
            Directory.Delete(workingDirectory, recursive: true);
        }

        return (process.ExitCode, await stderr);
    }
}
