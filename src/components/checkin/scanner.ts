/**
 * Camera scanning of tickets' QR codes (decision 31). Where the browser reads QR codes itself
 * (BarcodeDetector in Chromium on Android, macOS, ChromeOS) that reader is used; elsewhere (Safari
 * on iPhone and iPad, Firefox, Chromium on Linux and Windows) the `barcode-detector` polyfill, ZXing
 * in WebAssembly, is loaded from this site, only then. Each code read is handed to `onCode`; the
 * camera keeps running for the next ticket, and the same code is not read twice in a row.
 */

interface Detected {
  rawValue: string;
}
interface Detector {
  detect(source: HTMLVideoElement): Promise<Detected[]>;
}
type DetectorClass = (new (options: { formats: string[] }) => Detector) & { getSupportedFormats?: () => Promise<string[]> };

/** The same code again within this time is the same ticket still in front of the camera. */
const SAME_CODE_MS = 4000;

async function nativeDetector(): Promise<DetectorClass | undefined> {
  const native = (globalThis as { BarcodeDetector?: DetectorClass }).BarcodeDetector;
  if (!native) return undefined;
  const formats = (await native.getSupportedFormats?.().catch(() => [])) ?? [];
  return formats.includes("qr_code") ? native : undefined;
}

/** The polyfill, with its WebAssembly served by this site (never a CDN: the CSP allows none). */
async function polyfillDetector(): Promise<DetectorClass> {
  const [{ BarcodeDetector, prepareZXingModule }, { default: wasmUrl }] = await Promise.all([
    import("barcode-detector/ponyfill"),
    import("zxing-wasm/reader/zxing_reader.wasm?url"),
  ]);
  // Loaded now, so that a failure says "cannot read" at once rather than at every frame.
  await prepareZXingModule({
    overrides: { locateFile: (path: string, prefix: string) => (path.endsWith(".wasm") ? wasmUrl : prefix + path) },
    fireImmediately: true,
  });
  return BarcodeDetector as unknown as DetectorClass;
}

/** Wires the scanner block `root` (its toggle, status line and video) to call `onCode` for each code read. */
export function startScanner(root: HTMLElement, onCode: (code: string) => void): void {
  const status = root.querySelector<HTMLElement>("[data-scan-status]")!;
  const toggle = root.querySelector<HTMLButtonElement>("[data-scan-toggle]")!;
  const video = root.querySelector<HTMLVideoElement>("[data-scan-video]")!;
  if (!navigator.mediaDevices?.getUserMedia) {
    status.textContent = root.dataset.unsupported ?? "";
    return;
  }
  let detector: Detector | undefined;
  let stream: MediaStream | null = null;
  let timer: number | undefined;
  let last = { code: "", at: 0 };

  const stop = () => {
    if (timer !== undefined) window.clearTimeout(timer);
    timer = undefined;
    stream?.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    toggle.textContent = root.dataset.scan ?? "";
    status.textContent = "";
  };

  const look = async () => {
    if (!stream || !detector) return;
    try {
      const [code] = await detector.detect(video);
      const value = code?.rawValue?.trim();
      if (value && (value !== last.code || Date.now() - last.at > SAME_CODE_MS)) {
        last = { code: value, at: Date.now() };
        status.textContent = root.dataset.found ?? "";
        onCode(value);
      } else if (value) last.at = Date.now();
    } catch {
      // No frame yet, or a frame the reader could not take: look again.
    }
    timer = window.setTimeout(look, 150);
  };

  const start = async () => {
    toggle.disabled = true;
    try {
      detector ??= new ((await nativeDetector()) ?? (await polyfillDetector()))({ formats: ["qr_code"] });
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (error) {
      status.textContent = (error instanceof DOMException ? root.dataset.denied : root.dataset.unsupported) ?? "";
      toggle.disabled = false;
      return;
    } finally {
      toggle.disabled = false;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play().catch(() => undefined);
    toggle.textContent = root.dataset.stop ?? "";
    status.textContent = root.dataset.scanning ?? "";
    void look();
  };

  toggle.hidden = false;
  toggle.addEventListener("click", () => (stream ? stop() : void start()));
  window.addEventListener("pagehide", stop);
}
