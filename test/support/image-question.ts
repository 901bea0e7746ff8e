/** One user message for /v1/chat/completions: a question and an image_url part (a data: URL), as the official openai client types it. */
export function imageQuestion(imageUrl: string, question = "What is this?") {
  return [
    {
      role: "user" as const,
      content: [
        { type: "text" as const, text: question },
        { type: "image_url" as const, image_url: { url: imageUrl } },
      ],
    },
  ];
}
