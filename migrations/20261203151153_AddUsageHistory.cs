using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace VirtWeb.Migrations
{
    /// <inheritdoc />
    public partial class AddUsageHistory : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "UsagePoints",
                columns: table => new
                {
                    HostId = table.Column<Guid>(type: "uuid", nullable: false),
                    GuestUuid = table.Column<Guid>(type: "uuid", nullable: false),
                    Resolution = table.Column<int>(type: "integer", nullable: false),
                    Bucket = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Cpu = table.Column<float>(type: "real", nullable: true),
                    CpuMin = table.Column<float>(type: "real", nullable: true),
                    CpuMax = table.Column<float>(type: "real", nullable: true),
                    Memory = table.Column<float>(type: "real", nullable: true),
                    MemoryMin = table.Column<float>(type: "real", nullable: true),
                    MemoryMax = table.Column<float>(type: "real", nullable: true),
                    MemoryTotal = table.Column<float>(type: "real", nullable: true),
                    DiskRead = table.Column<float>(type: "real", nullable: true),
                    DiskReadMin = table.Column<float>(type: "real", nullable: true),
                    DiskReadMax = table.Column<float>(type: "real", nullable: true),
                    DiskWrite = table.Column<float>(type: "real", nullable: true),
                    DiskWriteMin = table.Column<float>(type: "real", nullable: true),
                    DiskWriteMax = table.Column<float>(type: "real", nullable: true),
                    DiskReadOps = table.Column<float>(type: "real", nullable: true),
                    DiskReadOpsMin = table.Column<float>(type: "real", nullable: true),
                    DiskReadOpsMax = table.Column<float>(type: "real", nullable: true),
                    DiskWriteOps = table.Column<float>(type: "real", nullable: true),
                    DiskWriteOpsMin = table.Column<float>(type: "real", nullable: true),
                    DiskWriteOpsMax = table.Column<float>(type: "real", nullable: true),
                    NetRx = table.Column<float>(type: "real", nullable: true),
                    NetRxMin = table.Column<float>(type: "real", nullable: true),
                    NetRxMax = table.Column<float>(type: "real", nullable: true),
                    NetTx = table.Column<float>(type: "real", nullable: true),
                    NetTxMin = table.Column<float>(type: "real", nullable: true),
                    NetTxMax = table.Column<float>(type: "real", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UsagePoints", x => new { x.HostId, x.GuestUuid, x.Resolution, x.Bucket });
                });

            migrationBuilder.CreateIndex(
                name: "IX_UsagePoints_Resolution_Bucket",
                table: "UsagePoints",
                columns: new[] { "Resolution", "Bucket" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "UsagePoints");
        }
    }
}
