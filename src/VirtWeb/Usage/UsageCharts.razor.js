// uPlot charts of the usage families. Colours come from the MudBlazor palette (so dark mode follows the theme); every
// line also has its own dash and a label in the legend, so the chart reads without colour.
import uPlot from '/lib/uplot/uPlot.esm.js';

const charts = new WeakMap();
const dashes = { solid: [], dashed: [6, 4], dotted: [1, 3] };

function palette() {
    const style = getComputedStyle(document.documentElement);
    const read = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
    return {
        text: read('--mud-palette-text-secondary', '#888'),
        grid: read('--mud-palette-lines-default', 'rgba(128,128,128,0.3)'),
        lines: [read('--mud-palette-primary', '#1976d2'), read('--mud-palette-secondary', '#d81b60'), read('--mud-palette-tertiary', '#26a69a')],
    };
}

function format(value, unit) {
    if (value == null) return '—';
    if (unit === '%') return value.toFixed(value < 10 ? 1 : 0) + ' %';
    const steps = ['', 'Ki', 'Mi', 'Gi', 'Ti'];
    let i = 0;
    while (Math.abs(value) >= 1024 && i < steps.length - 1) { value /= 1024; i++; }
    return value.toFixed(value < 10 && i > 0 ? 1 : 0) + ' ' + steps[i] + unit;
}

// The container is gone (null) when the page left the tab before this call arrived: nothing to draw into.
export function draw(container, families) {
    if (!container) return;
    dispose(container);
    const colours = palette();
    const width = Math.max(280, Math.floor((container.clientWidth || 900) / 2) - 24);
    const made = [];
    for (const family of families) {
        const box = document.createElement('div');
        box.className = 'vw-usage-chart';
        box.dataset.family = family.id;
        box.dataset.points = String(family.lines.reduce((n, l) => n + l.values.filter(v => v != null).length, 0));
        container.appendChild(box);
        const options = {
            title: family.title,
            width,
            height: 180,
            series: [{}, ...family.lines.map((line, i) => ({
                label: line.label,
                stroke: colours.lines[i % colours.lines.length],
                dash: dashes[line.dash] ?? [],
                width: 1.5,
                spanGaps: false,
                value: (u, v) => format(v, family.unit),
            }))],
            axes: [
                { stroke: colours.text, grid: { stroke: colours.grid }, ticks: { stroke: colours.grid } },
                { stroke: colours.text, grid: { stroke: colours.grid }, ticks: { stroke: colours.grid }, size: 70, values: (u, vals) => vals.map(v => format(v, family.unit)) },
            ],
            scales: family.unit === '%' ? { y: { range: [0, 100] } } : { y: { range: (u, min, max) => [0, Math.max(1, max ?? 1)] } },
        };
        made.push(new uPlot(options, [family.times, ...family.lines.map(l => l.values)], box));
    }
    charts.set(container, made);
}

export function dispose(container) {
    if (!container) return;
    for (const chart of charts.get(container) ?? []) chart.destroy();
    charts.delete(container);
    container.replaceChildren();
}
