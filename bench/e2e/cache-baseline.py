"""PyTorch beside `kvc cache` (bench/e2e/cache-bench.sh, kvc issue #15): 8 uniform frames a video
(numpy.linspace(0, total-1, 8).astype(int), the seed's rule) through CLIP ViT-L/14-336 in bf16 on the
GPU, hidden_states[-2] brought back to the host in f16 (what a cache stores), in videos/s.

  seed      the seed notebook's way: cv2.VideoCapture, a CAP_PROP_POS_FRAMES seek and read per frame,
            CLIPImageProcessor on the host, one video at a time (PyAV's seeks when cv2 is missing).
  parallel  PyTorch with a parallel decoder: one ffmpeg process per video (the same frame-exact
            `select` kvc uses, scaled to 336 on the short side with bicubic and center-cropped inside
            ffmpeg), as many at once as the machine has cores, while the GPU encodes batches of 8 videos.

Features are not written to a database here (kvc's numbers include its LMDB writes), so this is the
baseline's upper bound. Prints a markdown row `| <run> | videos | wall s | videos/s |` last.
Usage: python3 cache-baseline.py DATA_DIR CLIP_DIR FFMPEG seed|parallel [limit]
"""
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from transformers import CLIPImageProcessor, CLIPVisionModel

data, clip_dir, ffmpeg, mode = sys.argv[1:5]
limit = int(sys.argv[5]) if len(sys.argv) > 5 else None
ffprobe = os.path.join(os.path.dirname(ffmpeg), "ffprobe")
with open(os.path.join(data, "train.jsonl")) as f:
    videos = [os.path.join(data, json.loads(l)["video"]) for l in f if l.strip()]
videos = videos[:limit] if limit else videos
FRAMES, SIDE = 8, 336

model = CLIPVisionModel.from_pretrained(clip_dir, torch_dtype=torch.bfloat16).cuda().eval()
processor = CLIPImageProcessor.from_pretrained(clip_dir)
mean = torch.tensor(processor.image_mean, device="cuda").view(1, 3, 1, 1)
std = torch.tensor(processor.image_std, device="cuda").view(1, 3, 1, 1)


def indices(total):
    return np.linspace(0, total - 1, FRAMES).astype(int)


@torch.inference_mode()
def encode(pixels):  # [N, 3, 336, 336] normalized, on the GPU
    h = model(pixel_values=pixels.to(torch.bfloat16), output_hidden_states=True).hidden_states[-2]
    return h.to(torch.float16).cpu().numpy()


def warm():
    encode(torch.zeros(64, 3, SIDE, SIDE, device="cuda"))
    torch.cuda.synchronize()


def run_seed():
    try:
        import cv2  # noqa: F401
    except ImportError:
        cv2 = None
    if cv2 is None:
        try:
            import av  # noqa: F401
        except ImportError:
            print("neither cv2 nor PyAV is installed on this machine: the seed's way cannot run here")
            return None
    from PIL import Image

    def frames_cv2(path):
        cap = cv2.VideoCapture(path)
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        out = []
        for i in indices(total):
            cap.set(cv2.CAP_PROP_POS_FRAMES, int(i))
            ok, frame = cap.read()
            if ok:
                out.append(Image.fromarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)))
        cap.release()
        return out

    def frames_av(path):
        import av

        with av.open(path) as c:
            s = c.streams.video[0]
            total = s.frames
            want = set(int(i) for i in indices(total))
            out, n = [], 0
            for frame in c.decode(s):  # PyAV: decode through (its seeks are keyframe-only)
                if n in want:
                    out.append(frame.to_image())
                n += 1
            return out

    frames_of = frames_cv2 if cv2 is not None else frames_av
    name = "cv2 seeks" if cv2 is not None else "PyAV decode"
    warm()
    t0 = time.perf_counter()
    for path in videos:
        imgs = frames_of(path)
        px = processor(images=imgs, return_tensors="pt")["pixel_values"].cuda()
        encode(px)
    return f"torch, the seed's way ({name}, host processor, one video at a time)", time.perf_counter() - t0


def decode_ffmpeg(path):
    probe = subprocess.run(
        [ffprobe, "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
         "stream=nb_read_packets", "-of", "csv=p=0", path],
        capture_output=True, text=True, check=True)
    total = int(probe.stdout.strip().split(",")[0])
    sel = "+".join(f"eq(n\\,{i})" for i in sorted(set(indices(total).tolist())))
    vf = f"select={sel},scale=-2:{SIDE}:flags=bicubic,crop={SIDE}:{SIDE}"
    raw = subprocess.run(
        [ffmpeg, "-loglevel", "error", "-i", path, "-an", "-vf", vf, "-vsync", "0", "-f", "rawvideo",
         "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    x = np.frombuffer(raw, np.uint8).reshape(-1, SIDE, SIDE, 3)
    return x[np.minimum(np.arange(FRAMES), len(x) - 1)]  # duplicated indices: repeat the last


def run_parallel():
    warm()
    batch = 8
    t0 = time.perf_counter()
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        pending = []
        for frames in pool.map(decode_ffmpeg, videos):
            pending.append(frames)
            if len(pending) == batch:
                x = torch.from_numpy(np.concatenate(pending)).cuda().permute(0, 3, 1, 2).float() / 255
                encode((x - mean) / std)
                pending = []
        if pending:
            x = torch.from_numpy(np.concatenate(pending)).cuda().permute(0, 3, 1, 2).float() / 255
            encode((x - mean) / std)
    return f"torch, parallel ffmpeg decoders ({os.cpu_count()} at once), batches of {batch} videos", time.perf_counter() - t0


result = run_seed() if mode == "seed" else run_parallel()
print(torch.cuda.get_device_name(), torch.__version__)
if result:
    label, secs = result
    print(f"| {label} | {len(videos)} | {secs:.1f} | {len(videos) / secs:.2f} |")
