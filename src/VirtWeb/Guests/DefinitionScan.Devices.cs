using System.Xml.Linq;

namespace VirtWeb.Guests;

/// <summary>The devices part of <see cref="DefinitionScan"/>: what each kind of device makes the host open or expose.</summary>
public static partial class DefinitionScan
{
    private sealed partial class Scanner
    {
        public void Device(XElement device)
        {
            switch (device.Name.LocalName)
            {
                case "emulator":
                    Found.Add(new(ReferenceKind.Emulator, "the emulator", device.Value.Trim(), "remove <emulator> and libvirt uses the host's own", $"emulator|{device.Value.Trim()}"));
                    Claimed.Add(device);
                    break;
                case "disk":
                    Disk(device);
                    break;
                case "serial" or "parallel" or "console" or "channel":
                    CharDevice(device, CharName(device));
                    break;
                case "graphics":
                    Graphics(device);
                    break;
                case "interface":
                    Interface(device);
                    break;
                case "hostdev":
                    Refuse(device, $"The host device {Start(device)} hands hardware of the host to the guest; VirtWeb passes no host devices through, remove it.");
                    break;
                case "filesystem":
                    Refuse(device, $"The filesystem {Start(device)} shares {SourceOf(device) ?? "a part"} of the host with the guest; VirtWeb shares no host directories, use a disk volume instead.");
                    break;
                case "shmem":
                    Refuse(device, $"The shared memory {Start(device)} maps memory of the host into the guest; VirtWeb does not share host memory, remove it.");
                    break;
                case "input" when device.Attribute("type")?.Value is "passthrough" or "evdev":
                    Refuse(device, $"The input device {Start(device)} hands the host's {device.Element("source")?.Attribute("evdev")?.Value ?? device.Element("source")?.Attribute("dev")?.Value ?? "input device"} to the guest; remove it.");
                    break;
                case "tpm" when device.Element("backend")?.Attribute("type")?.Value is "passthrough" or "external":
                    Refuse(device, $"The TPM {Start(device.Element("backend")!)} hands the host's TPM (or a socket of the host) to the guest; use <backend type='emulator'>.");
                    break;
                case "smartcard" when device.Attribute("mode")?.Value is "host" or "host-certificates"
                    || (device.Attribute("mode")?.Value == "passthrough" && device.Attribute("type")?.Value != "spicevmc"):
                    Refuse(device, $"The smartcard {Start(device)} hands the host's card reader or certificates to the guest; use mode='passthrough' type='spicevmc' (the viewer's card).");
                    break;
                case "redirdev" when device.Attribute("type")?.Value != "spicevmc":
                    Refuse(device, $"The USB redirection {Start(device)} does not come from the viewer (type='spicevmc'); remove it.");
                    break;
                case "memory" when device.Element("source")?.Element("path") is { } path:
                    File("memory", $"the memory device ({device.Attribute("model")?.Value})", path.Value, PickVolume);
                    Claimed.Add(device);
                    break;
                case "rng":
                    Rng(device);
                    break;
            }
        }

        private void Disk(XElement disk)
        {
            var device = disk.Attribute("device")?.Value ?? "disk";
            var (role, name) = device switch
            {
                "cdrom" => ("cdrom", "the CD-ROM"),
                "floppy" => ("floppy", "the floppy"),
                "lun" => ("lun", "the LUN"),
                _ => ("disk", "the disk"),
            };
            var element = disk.Element("target")?.Attribute("dev")?.Value is { } dev ? $"{name} ({dev})" : name;
            var advice = device == "cdrom" ? "pick an ISO from a pool" : PickVolume;
            Claimed.Add(disk);
            Source(disk, role, element, advice);
            foreach (var backing in disk.Descendants("backingStore").Where(b => b.Element("source") is not null))
            {
                Source(backing, role + "-backing", element + "'s backing file", advice);
            }

            foreach (var reservations in disk.Descendants("reservations").Where(r => r.Element("source")?.Attribute("path") is not null))
            {
                Refuse(reservations, $"{Capital(element)} connects to the UNIX socket {reservations.Element("source")!.Attribute("path")!.Value} on the host for persistent reservations; remove <reservations>.");
            }
        }

        private void Source(XElement disk, string role, string element, string advice)
        {
            var source = disk.Element("source");
            var type = disk.Attribute("type")?.Value ?? "file";
            switch (type)
            {
                case "file":
                    File(role, element, source?.Attribute("file")?.Value, advice);
                    break;
                case "volume" when source?.Attribute("pool")?.Value is { } pool && source.Attribute("volume")?.Value is { } volume:
                    Found.Add(new(ReferenceKind.PoolVolume, element, volume, advice, $"volume|{role}|{pool}/{volume}", pool));
                    break;
                case "volume":
                    break;
                case "block":
                    Refuse(disk, $"{Capital(element)} is the raw block device {source?.Attribute("dev")?.Value ?? "of the host"}: VirtWeb attaches only volumes of pools inside its storage roots, never a device of the host; {advice}.");
                    break;
                case "dir":
                    Refuse(disk, $"{Capital(element)} exposes the host directory {source?.Attribute("dir")?.Value} to the guest; {advice}.");
                    break;
                case "network":
                    Refuse(disk, $"{Capital(element)} makes the host reach storage over the network (protocol {source?.Attribute("protocol")?.Value ?? "unknown"}), which is not a volume of a pool inside VirtWeb's storage roots; {advice}.");
                    break;
                default:
                    Refuse(disk, $"{Capital(element)} is of type '{type}' (a device or socket of the host), which VirtWeb does not attach; {advice}.");
                    break;
            }
        }

        private void CharDevice(XElement device, string name)
        {
            Claimed.Add(device);
            CharSource(device, name);
            File($"log:{name}", $"{name}'s log file", device.Element("log")?.Attribute("file")?.Value, "leave the log out, or point it at a volume of a pool");
        }

        private void CharSource(XElement device, string name)
        {
            var type = device.Attribute("type")?.Value ?? "pty";
            var sources = device.Elements("source").ToList();
            switch (type)
            {
                case "pty" or "vc" or "null" or "stdio" or "spicevmc" or "spiceport" or "qemu-vdagent" or "dbus":
                    break;
                case "unix" when sources.All(s => s.Attribute("path") is null):
                    break;
                case "unix":
                    Refuse(device, $"{Capital(name)} uses the UNIX socket {sources.First(s => s.Attribute("path") is not null).Attribute("path")!.Value} on the host; leave the path out and libvirt makes one for the guest.");
                    break;
                case "file":
                    File($"charfile:{name}", name, sources.FirstOrDefault()?.Attribute("path")?.Value, PtyInstead);
                    break;
                case "tcp" when sources.All(s => s.Attribute("mode")?.Value == "bind" && IsLoopback(s.Attribute("host")?.Value)):
                    break;
                case "tcp" or "udp":
                    var source = sources.FirstOrDefault(s => s.Attribute("mode")?.Value != "bind" || !IsLoopback(s.Attribute("host")?.Value)) ?? sources.FirstOrDefault();
                    var how = source?.Attribute("mode")?.Value == "bind" ? "listens on" : "connects to";
                    Refuse(device, $"{Capital(name)} {how} {source?.Attribute("host")?.Value ?? "the network"}:{source?.Attribute("service")?.Value} ({type}) from the host; {PtyInstead}.");
                    break;
                default:
                    Refuse(device, $"{Capital(name)} is connected to the host's {type} {sources.FirstOrDefault()?.Attribute("path")?.Value}; {PtyInstead}.");
                    break;
            }
        }

        private void Graphics(XElement graphics)
        {
            Claimed.Add(graphics);
            var type = graphics.Attribute("type")?.Value ?? "";
            var display = $"the {type.ToUpperInvariant()} display";
            var listens = graphics.Elements("listen").Select(l => (l.Attribute("type")?.Value, l.Attribute("address")?.Value, l)).ToList();
            var addresses = listens.Where(l => l.Item1 is null or "address").Select(l => l.Item2).Append(graphics.Attribute("listen")?.Value);
            if (addresses.FirstOrDefault(a => !IsLoopback(a)) is { } open)
            {
                Refuse(graphics, $"{Capital(display)} listens on {open}, which other machines can reach; listen on 127.0.0.1 (VirtWeb's console reaches it there).");
            }
            else if (listens.FirstOrDefault(l => l.Item1 == "network").l is { } network)
            {
                Refuse(graphics, $"{Capital(display)} listens on the addresses of the libvirt network {network.Attribute("network")?.Value}, which other machines can reach; listen on 127.0.0.1.");
            }
            else if ((graphics.Attribute("socket") ?? listens.Select(l => l.l.Attribute("socket")).FirstOrDefault(s => s is not null)) is { } socket)
            {
                Refuse(graphics, $"{Capital(display)} listens on the UNIX socket {socket.Value} chosen in the XML; leave the socket out and libvirt makes one for the guest.");
            }
            else if (type is "sdl" or "desktop")
            {
                Refuse(graphics, $"{Capital(display)} shows the guest on the host's own screen; use VNC on 127.0.0.1.");
            }
            else if (graphics.Descendants("gl").Attributes("rendernode").FirstOrDefault() is { } node)
            {
                Refuse(graphics, $"{Capital(display)} renders on the host's GPU device {node.Value}; remove the rendernode.");
            }
        }

        private void Interface(XElement nic)
        {
            Claimed.Add(nic);
            var type = nic.Attribute("type")?.Value;
            var name = nic.Element("mac")?.Attribute("address")?.Value is { } mac ? $"the network interface {mac}" : "a network interface";
            if (type is "hostdev" or "vdpa")
            {
                Refuse(nic, $"{Capital(name)} (type '{type}') hands a network device of the host to the guest; use a libvirt network or a bridge.");
                return;
            }

            if (type == "vhostuser" || (type == "direct" && nic.Element("source")?.Attribute("mode")?.Value == "passthrough"))
            {
                Refuse(nic, $"{Capital(name)} (type '{type}') hands the host's {nic.Element("source")?.Attribute("dev")?.Value ?? nic.Element("source")?.Attribute("path")?.Value} to the guest; use a libvirt network or a bridge.");
                return;
            }

            foreach (var script in nic.Elements().Where(e => e.Name.LocalName is "script" or "downscript"))
            {
                Refuse(script, $"{Capital(name)}'s <{script.Name.LocalName}> runs the program {script.Attribute("path")?.Value} on the host; VirtWeb accepts no programs in a definition, remove it.");
            }

            if (nic.Element("backend") is { } backend && (backend.Attribute("tap") ?? backend.Attribute("vhost")) is { } hostDevice)
            {
                Refuse(backend, $"{Capital(name)}'s backend names the host device {hostDevice.Value}; remove the attribute and libvirt opens its own.");
            }

            File($"nic-log:{name}", $"{name}'s log file", nic.Element("backend")?.Attribute("logFile")?.Value, "leave the log out, or point it at a volume of a pool");
            File($"rom:{name}", $"{name}'s option ROM", nic.Element("rom")?.Attribute("file")?.Value, UploadIt);
        }

        private void Rng(XElement rng)
        {
            Claimed.Add(rng);
            var backend = rng.Element("backend");
            if (backend?.Attribute("model")?.Value == "random" && backend.Value.Trim() is { Length: > 0 } source && !RandomSources.Contains(source))
            {
                Refuse(rng, $"The random number generator reads the host's {source}; use /dev/urandom.");
            }
            else if (backend?.Attribute("model")?.Value == "egd")
            {
                CharSource(backend, "the random number generator");
            }
        }
    }
}
