/** Who is calling. Services receive it and check authorization themselves. */
export interface Actor {
  userId: string;
  isAdmin: boolean;
}
