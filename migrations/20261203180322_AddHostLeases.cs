using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace VirtWeb.Migrations
{
    /// <inheritdoc />
    public partial class AddHostLeases : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateSequence(
                name: "HostLeaseEpochs");

            migrationBuilder.CreateTable(
                name: "ClusterInstances",
                columns: table => new
                {
                    InstanceId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    StartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    HeartbeatAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ClusterInstances", x => x.InstanceId);
                });

            migrationBuilder.CreateTable(
                name: "HostLeases",
                columns: table => new
                {
                    HostId = table.Column<Guid>(type: "uuid", nullable: false),
                    Owner = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Epoch = table.Column<long>(type: "bigint", nullable: false),
                    AcquiredAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    HighestVersion = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HostLeases", x => x.HostId);
                    table.ForeignKey(
                        name: "FK_HostLeases_Hosts_HostId",
                        column: x => x.HostId,
                        principalTable: "Hosts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_HostLeases_Owner",
                table: "HostLeases",
                column: "Owner");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ClusterInstances");

            migrationBuilder.DropTable(
                name: "HostLeases");

            migrationBuilder.DropSequence(
                name: "HostLeaseEpochs");
        }
    }
}
