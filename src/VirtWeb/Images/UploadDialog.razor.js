// Uploads with XMLHttpRequest rather than fetch: only XHR reports upload progress. The file goes as the raw body,
// so the server streams it into libvirt without buffering it.
const uploads = new Map();
let nextId = 1;

export function describe(input) {
    const file = input.files && input.files[0];
    return file ? { name: file.name, size: file.size } : null;
}

export function start(input, url, token, dotnet) {
    const file = input.files[0];
    const id = nextId++;
    const xhr = new XMLHttpRequest();
    let last = 0;
    xhr.upload.onprogress = e => {
        const now = Date.now();
        if (now - last > 150 || e.loaded === e.total) {
            last = now;
            dotnet.invokeMethodAsync('Progress', e.loaded);
        }
    };
    const finish = (status, text) => {
        uploads.delete(id);
        dotnet.invokeMethodAsync('Finished', status, text);
    };
    xhr.onload = () => finish(xhr.status, xhr.responseText);
    xhr.onerror = () => finish(0, 'The connection failed during the upload; nothing was kept.');
    xhr.onabort = () => finish(-1, 'Upload cancelled; nothing was kept.');
    xhr.open('POST', url);
    xhr.setRequestHeader('RequestVerificationToken', token);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.send(file);
    uploads.set(id, xhr);
    return id;
}

export function cancel(id) {
    const xhr = uploads.get(id);
    if (xhr) {
        xhr.abort();
    }
}
