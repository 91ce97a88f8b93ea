# Wan 2.6 Reference Video Studio: docker build -t wan-studio . && docker run -p 7860:7860 wan-studio
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860 \
    WAN_DATA_DIR=/data

RUN useradd --create-home --uid 1000 user \
    && mkdir -p /data && chown user:user /data

WORKDIR /app
# Dependency layer first: rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=user:user app.py ./
COPY --chown=user:user components ./components
COPY --chown=user:user wanvideo ./wanvideo

USER user
EXPOSE 7860
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:7860/', timeout=4).status == 200 else 1)"
CMD ["python", "app.py"]
