using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace VirtWeb.Migrations
{
    /// <inheritdoc />
    public partial class AddMachineIds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "MachineIdClones",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    HostId = table.Column<Guid>(type: "uuid", nullable: false),
                    CloneUuid = table.Column<Guid>(type: "uuid", nullable: false),
                    SourceUuid = table.Column<Guid>(type: "uuid", nullable: false),
                    NewMachineId = table.Column<string>(type: "character(32)", fixedLength: true, maxLength: 32, nullable: false),
                    SourceMachineId = table.Column<string>(type: "character(32)", fixedLength: true, maxLength: 32, nullable: true),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Detail = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MachineIdClones", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "MachineIdObservations",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    SubjectKey = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    SubjectKind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    HostId = table.Column<Guid>(type: "uuid", nullable: false),
                    GuestUuid = table.Column<Guid>(type: "uuid", nullable: true),
                    Name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Source = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    MachineId = table.Column<string>(type: "character(32)", fixedLength: true, maxLength: 32, nullable: false),
                    FirstSeen = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    LastSeen = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Note = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    Flagged = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MachineIdObservations", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_MachineIdClones_CloneUuid",
                table: "MachineIdClones",
                column: "CloneUuid");

            migrationBuilder.CreateIndex(
                name: "IX_MachineIdObservations_MachineId",
                table: "MachineIdObservations",
                column: "MachineId");

            migrationBuilder.CreateIndex(
                name: "IX_MachineIdObservations_SubjectKey_Source_MachineId",
                table: "MachineIdObservations",
                columns: new[] { "SubjectKey", "Source", "MachineId" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "MachineIdClones");

            migrationBuilder.DropTable(
                name: "MachineIdObservations");
        }
    }
}
