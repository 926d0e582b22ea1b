using VirtWeb.Access;
using VirtWeb.Components;
using VirtWeb.Consoles;
using VirtWeb.Data;
using VirtWeb.Guests;
using VirtWeb.Hosts;
using VirtWeb.Images;
using VirtWeb.Live;
using VirtWeb.MachineIds;

try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddVirtWebData();
    builder.AddAccess();
    builder.AddLive();
    builder.AddHosts();
    builder.AddGuests();
    builder.AddImages();
    builder.AddConsoles();
    builder.AddMachineIds();
    builder.AddVirtWebComponents();

    var app = builder.Build();
    await app.PrepareDatabaseAsync();
    app.MapVirtWeb();
    await app.RunAsync();
    return 0;
}
catch (StartupValidationException e)
{
    Console.Error.WriteLine($"VirtWeb cannot start: {e.Message}");
    return 2;
}

public partial class Program;
