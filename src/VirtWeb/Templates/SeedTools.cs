using System.Diagnostics;

namespace VirtWeb.Templates;

/// <summary>
/// The two Debian tools the seed needs, run as child processes with arguments, never through a shell: OpenSSL hashes the
/// password (SHA-512 crypt, <c>openssl passwd -6</c>, the password on standard input so no process list shows it) and
/// genisoimage writes the ISO 9660 volume labelled <c>cidata</c> (with Rock Ridge and Joliet names, as cloud-init's
/// own cloud-localds does).
/// </summary>
public static class SeedTools
{
    public const string VolumeLabel = "cidata";

    public static async Task<string> HashPasswordAsync(string password, CancellationToken cancellationToken)
    {
        if (password.Contains('\n', StringComparison.Ordinal) || password.Contains('\r', StringComparison.Ordinal))
        {
            throw new DeployInputException("The password contains a line break; cloud-init's password is one line.");
        }

        var (exit, output, error) = await RunAsync("openssl", ["passwd", "-6", "-stdin"], password + "\n", cancellationToken);
        var hash = output.Trim();
        if (exit != 0 || !hash.StartsWith("$6$", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"openssl passwd -6 failed ({exit}): {error.Trim()}");
        }

        return hash;
    }

    /// <summary>The ISO 9660 image holding <paramref name="files"/> at its root.</summary>
    public static async Task<byte[]> BuildIsoAsync(CloudInitFiles files, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("virtweb-seed-");
        try
        {
            foreach (var (name, content) in files.All)
            {
                await File.WriteAllTextAsync(Path.Combine(directory.FullName, name), content, cancellationToken);
            }

            var iso = Path.Combine(directory.FullName, "seed.iso");
            var (exit, _, error) = await RunAsync("genisoimage",
                ["-quiet", "-output", iso, "-volid", VolumeLabel, "-joliet", "-rock", .. files.All.Select(f => Path.Combine(directory.FullName, f.Name))],
                null, cancellationToken);
            if (exit != 0)
            {
                throw new InvalidOperationException($"genisoimage failed ({exit}): {error.Trim()}");
            }

            return await File.ReadAllBytesAsync(iso, cancellationToken);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(string tool, IEnumerable<string> arguments, string? input, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{tool} is not installed on the VirtWeb server (Debian package {(tool == "openssl" ? "openssl" : "genisoimage")}); ./run.sh installs it.", e);
        }

        using (process)
        {
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input);
            }

            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return (process.ExitCode, await output, await error);
        }
    }
}
