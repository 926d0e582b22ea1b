namespace VirtWeb.MachineIds;

public static class MachineIdsExtensions
{
    public static IHostApplicationBuilder AddMachineIds(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<MachineIdRegistry>();
        builder.Services.AddSingleton<MachineIdService>();
        builder.Services.AddSingleton<MachineIdCollector>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MachineIdCollector>());
        return builder;
    }
}
