using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace VirtWeb.Data;

public sealed class VirtWebDbContext(DbContextOptions<VirtWebDbContext> options)
    : IdentityDbContext<ApplicationUser>(options);
