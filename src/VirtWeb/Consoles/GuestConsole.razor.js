// The browser half of VirtWeb's consoles: asks the server for a one-time ticket, opens the websocket with it and hands
// the socket to noVNC (graphics) or xterm.js (serial). The page never sees a host, a port or a VNC password.
import RFB from '/lib/novnc/core/rfb.js';
import { Terminal } from '/lib/xterm/xterm.mjs';
import { FitAddon } from '/lib/xterm/addon-fit.mjs';

// The proxy's own close codes (ConsoleProxy.Close*), which noVNC would otherwise report as a bare disconnect.
const closeMessages = {
    4000: "The guest's console closed: the guest stopped or was deleted.",
    4001: 'Your right to use consoles was withdrawn, so this console was closed.',
    4002: 'An Administrator ended this console.',
};

const keysyms = {
    ctrl: 0xffe3, alt: 0xffe9, del: 0xffff, backspace: 0xff08, tab: 0xff09, esc: 0xff1b, super: 0xffeb, print: 0xff61,
    f1: 0xffbe, f2: 0xffbf, f3: 0xffc0, f4: 0xffc1, f5: 0xffc2, f6: 0xffc3, f7: 0xffc4,
};

async function requestTicket(hostId, uuid, kind) {
    const response = await fetch('/api/consoles/tickets', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ hostId, uuid, kind }),
    });
    const text = await response.text();
    if (!response.ok) {
        throw new Error(text || `The server refused the console (HTTP ${response.status}).`);
    }
    return JSON.parse(text);
}

async function openSocket(hostId, uuid, kind) {
    const grant = await requestTicket(hostId, uuid, kind);
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(`${scheme}//${location.host}${grant.path}?ticket=${encodeURIComponent(grant.ticket)}`, ['binary']);
    socket.binaryType = 'arraybuffer';
    return socket;
}

function closeMessage(event, fallback) {
    if (!event) {
        return fallback;
    }
    return closeMessages[event.code] ?? (event.code === 1000 ? null : fallback);
}

function report(dotnet, state, message) {
    dotnet.invokeMethodAsync('OnConsoleState', state, message ?? null).catch(() => { /* the page is gone */ });
}

export async function openGraphics(element, dotnet, hostId, uuid, scale) {
    let socket;
    try {
        socket = await openSocket(hostId, uuid, 'graphics');
    } catch (e) {
        report(dotnet, 'failed', e.message);
        return null;
    }
    let lastClose = null;
    socket.addEventListener('close', e => { lastClose = e; });
    element.replaceChildren();
    const rfb = new RFB(element, socket, { shared: true });
    rfb.focusOnClick = true;
    rfb.addEventListener('connect', () => { report(dotnet, 'connected'); rfb.focus(); });
    rfb.addEventListener('disconnect', e => report(dotnet, 'disconnected',
        closeMessage(lastClose, e.detail.clean ? null : 'The connection to the console was lost. Reconnect to try again.')));
    rfb.addEventListener('credentialsrequired', () => {
        report(dotnet, 'failed', "This guest's VNC display asks for a password, and VirtWeb does not pass passwords to the browser. " +
            'Use a local libvirtd (which lets VirtWeb skip the password) or remove the password.');
        rfb.disconnect();
    });
    rfb.addEventListener('securityfailure', e => report(dotnet, 'failed', `The VNC server refused the connection: ${e.detail.reason ?? 'no reason given'}.`));
    rfb.addEventListener('desktopname', e => dotnet.invokeMethodAsync('OnDesktopName', e.detail.name).catch(() => {}));
    const handle = {
        sendCtrlAltDel: () => rfb.sendCtrlAltDel(),
        sendCombo: combo => {
            const keys = combo.split('+').map(k => keysyms[k]);
            keys.forEach(k => rfb.sendKey(k, null, true));
            keys.slice().reverse().forEach(k => rfb.sendKey(k, null, false));
        },
        setScale: mode => applyScale(rfb, mode),
        fullscreen: () => element.requestFullscreen?.(),
        typeText: text => {
            for (const ch of text) {
                const code = ch.codePointAt(0);
                const keysym = ch === '\n' ? 0xff0d : code < 0x100 ? code : 0x01000000 + code;
                rfb.sendKey(keysym, null);
            }
        },
        clipboard: text => rfb.clipboardPasteFrom(text),
        focus: () => rfb.focus(),
        dispose: () => { try { rfb.disconnect(); } catch { /* already closed */ } },
    };
    applyScale(rfb, scale);
    return handle;
}

function applyScale(rfb, mode) {
    rfb.scaleViewport = mode === 'fit';
    rfb.resizeSession = mode === 'remote';
    rfb.clipViewport = false;
}

export async function openSerial(element, dotnet, hostId, uuid) {
    let socket;
    try {
        socket = await openSocket(hostId, uuid, 'serial');
    } catch (e) {
        report(dotnet, 'failed', e.message);
        return null;
    }
    element.replaceChildren();
    const terminal = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 5000 });
    const fit = new FitAddon();
    terminal.loadAddon(fit);
    terminal.open(element);
    fit.fit();
    const encoder = new TextEncoder();
    const onResize = () => fit.fit();
    window.addEventListener('resize', onResize);
    terminal.onData(data => {
        if (socket.readyState === WebSocket.OPEN) {
            socket.send(encoder.encode(data));
        }
    });
    socket.addEventListener('open', () => { report(dotnet, 'connected'); terminal.focus(); });
    socket.addEventListener('message', e => terminal.write(new Uint8Array(e.data)));
    socket.addEventListener('close', e => report(dotnet, 'disconnected', closeMessage(e, 'The connection to the serial console was lost. Reconnect to try again.')));
    return {
        fullscreen: () => element.requestFullscreen?.(),
        typeText: text => socket.readyState === WebSocket.OPEN && socket.send(encoder.encode(text)),
        focus: () => terminal.focus(),
        dispose: () => {
            window.removeEventListener('resize', onResize);
            socket.close();
            terminal.dispose();
        },
    };
}
