import os

from locust import HttpUser, task, between

IMAGE_PATH = os.environ.get(
    "PNEUMONIA_LOAD_IMAGE",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data",
                 "chest_xray", "test", "PNEUMONIA", "person1_virus_6.jpeg"))


class PneumoniaUser(HttpUser):
    wait_time = between(0.5, 2.0)

    @task
    def predict(self):
        with open(IMAGE_PATH, "rb") as f:
            self.client.post("/predict", files={"file": f})
