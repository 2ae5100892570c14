"""The Gradio web chat, thin over reportqa.index.Library (`reportqa app`)."""
